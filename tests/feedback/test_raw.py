"""Journeys from a file of raw touches: ordered by time within each journey, converted and
value per journey, integer and text ids, Parquet and CSV, and clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from demandos.feedback import AttributionError, heuristics, markov
from demandos.feedback.raw import read_touch_file

from .journeys import journeys

ROWS = {  # in no particular order: journey 7 is b>a>c, journey 3 is c>c, journey 5 is a
    "journey_id": [7, 3, 7, 5, 3, 7],
    "ts": ["2026-03-02 10:00", "2026-03-01 09:00", "2026-03-01 08:00", "2026-03-04 00:00",
           "2026-03-01 09:30", "2026-03-05 12:00"],
    "channel": ["a", "c", "b", "a", "c", "c"],
    "converted": [True, False, True, True, False, True],
    "value": [0.0, 0.0, 500.0, 20.0, 0.0, 0.0],
}  # fmt: skip


def _table(ids: list[object]) -> pa.Table:
    data = dict(ROWS, journey_id=ids)
    ts = pa.array(ROWS["ts"]).cast(pa.timestamp("s"))
    return pa.table(dict(data, ts=ts))


@pytest.mark.parametrize("ids", [ROWS["journey_id"], [f"j{i}" for i in ROWS["journey_id"]]])
@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_journeys_in_time_order(tmp_path: Path, ids: list[object], suffix: str) -> None:
    path = tmp_path / f"touches{suffix}"
    if suffix == ".parquet":
        pq.write_table(_table(ids), path)
    else:
        pcsv.write_csv(_table(ids), path)
    j = read_touch_file(path)
    assert j.labels == ("a", "b", "c")
    paths = [">".join(j.labels[m] for m in j.member[j.offsets[i] : j.offsets[i + 1]])
             for i in range(len(j))]  # fmt: skip
    assert paths == ["c>c", "a", "b>a>c"]  # by journey id: 3, 5, 7 (j3, j5, j7)
    assert j.conv.tolist() == [0, 1, 1] and j.null.tolist() == [1, 0, 0]
    assert j.value.tolist() == [0, 20, 500]
    expected = journeys(["c>c", "a", "b>a>c"], [0, 1, 1], [1, 0, 0], [0, 20, 500])
    assert np.allclose(markov(j).conversions, markov(expected).conversions)
    assert np.allclose(heuristics(j)["linear"].value, [20 + 500 / 3, 500 / 3, 500 / 3])
    # journey 7: b on Mar 1 08:00, a on Mar 2 10:00, c on Mar 5 12:00 (its last touch)
    assert j.age_days is not None
    assert np.allclose(j.age_days[3:], [4 + 4 / 24, 3 + 2 / 24, 0])
    assert read_touch_file(path, times=False).age_days is None


def test_missing_file_and_column(tmp_path: Path) -> None:
    with pytest.raises(AttributionError, match="no such file"):
        read_touch_file(tmp_path / "nothing.parquet")
    path = tmp_path / "touches.parquet"
    pq.write_table(_table(ROWS["journey_id"]), path)
    with pytest.raises(AttributionError, match="no column 'person'") as err:
        read_touch_file(path, journey="person")
    assert "journey_id" in (err.value.hint or "")
    with pytest.raises(AttributionError, match="not a Parquet or CSV file"):
        read_touch_file(path.rename(tmp_path / "touches.xlsx"))
