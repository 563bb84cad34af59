"""Journeys straight from a file of raw touches — one row per touch with a journey id, a moment,
a channel, whether the journey converted and its value — as a user has them from any tool
(Parquet or CSV): ``read_touch_file(path)`` gives the :class:`Journeys` every model reads.

DuckDB reads the file in parallel and sorts it once. With integer journey ids (the usual case,
and the fast one), each touch travels through the sort as one 64-bit key — journey id, second
since the file's first touch, channel code — so the sort moves one column and numpy unpacks it;
whether a journey converted, and its value, come from its converting rows alone. A Parquet file's
footer and dictionary pages give the id and time bounds and the channels without a scan. Other
ids sort as they are. Touches of a journey at the same second keep the order of their channel
codes, so the result is the same on every run.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np

from demandos.feedback.journeys import AttributionError, IntArray, Journeys

_COLUMNS = ("journey", "ts", "channel", "converted", "value")


def _source(path: Path) -> str:
    name = str(path).replace("'", "''")
    if path.suffix.lower() in (".parquet", ".pq"):
        return f"read_parquet('{name}')"
    if path.suffix.lower() in (".csv", ".tsv", ".txt", ".gz"):
        return f"read_csv('{name}')"
    raise AttributionError(f"{path}: not a Parquet or CSV file",
                           hint="give a .parquet or .csv file of touches")  # fmt: skip


def _parquet_stats(
    path: Path, journey: str, ts: str, channel: str
) -> tuple[int, int, int, int, list[str]] | None:
    """Journey id and time bounds from the Parquet footer, and the channels from its dictionary
    pages, without reading the rows; None when the file does not hold them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    names = {meta.schema.column(i).name.lower(): i for i in range(meta.num_columns)}
    if not {journey.lower(), ts.lower(), channel.lower()} <= set(names) or not meta.num_rows:
        return None
    bounds = []
    for column in (journey, ts):
        lo, hi = [], []
        for g in range(meta.num_row_groups):
            st = meta.row_group(g).column(names[column.lower()]).statistics
            if st is None or not st.has_min_max or st.null_count:
                return None
            lo.append(st.min)
            hi.append(st.max)
        bounds.append((min(lo), max(hi)))
    (jmin, jmax), (tmin, tmax) = bounds
    if not isinstance(jmin, int) or not all(hasattr(x, "timestamp") for x in (tmin, tmax)):
        return None
    day = 86_400  # a margin for the time zone the footer's bounds were written in
    name = meta.schema.column(names[channel.lower()]).name
    table = pq.read_table(path, columns=[name], read_dictionary=[name])
    column = table.column(0)
    if not pa.types.is_dictionary(column.type) or column.null_count:
        return None
    labels = sorted({x for chunk in column.chunks for x in chunk.dictionary.to_pylist()})
    return jmin, int(jmax), int(tmin.timestamp()) - day, int(tmax.timestamp()) + day, labels


def _ages(seconds: np.ndarray, offsets: IntArray) -> np.ndarray:
    """Days from each touch to its journey's last touch (what time decay reads)."""
    end = seconds[offsets[1:] - 1]
    return np.asarray((np.repeat(end, np.diff(offsets)) - seconds) / 86_400.0, dtype=np.float64)


def _keyed(
    keys: IntArray, won: dict[str, np.ndarray], shift: int, cb: int, labels: list[str],
    times: bool,
) -> Journeys:  # fmt: skip
    """Journeys from sorted keys (journey << shift | second << cb | channel) and the journey id
    and value of every converting row."""
    n = keys.size
    member = keys & ((1 << cb) - 1)
    new = np.empty(n, dtype=bool)
    new[:1] = True
    step = np.bitwise_xor(keys[1:], keys[:-1])
    np.right_shift(step, shift, out=step)
    np.not_equal(step, 0, out=new[1:])
    del step
    starts = np.flatnonzero(new)
    ids = keys[starts] >> shift
    won_ids = np.asarray(won["j"], dtype=np.int64)
    order = np.argsort(won_ids, kind="stable")  # sorted needles: the search walks ids once
    at = np.searchsorted(ids, won_ids[order])
    conv, value = np.zeros(starts.size), np.zeros(starts.size)
    conv[at] = 1.0
    won_value = np.nan_to_num(np.asarray(won["v"], dtype=np.float64))[order]
    np.maximum.at(value, at, won_value)
    offsets = np.append(starts, n).astype(np.int64)
    age = _ages((keys >> cb) & ((1 << (shift - cb)) - 1), offsets) if times else None
    return Journeys(offsets, member, conv, 1.0 - conv, value, tuple(str(x) for x in labels),
                    age_days=age)  # fmt: skip


def _quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def read_touch_file(
    path: str | Path,
    *,
    journey: str = "journey_id",
    ts: str = "ts",
    channel: str = "channel",
    converted: str = "converted",
    value: str | None = "value",
    times: bool = True,
    threads: int | None = None,
) -> Journeys:
    """The journeys in ``path`` (see the module doc); column names as given. A journey converts
    when any of its rows says so; its value is the largest value on those rows. With ``times``,
    each touch keeps its days before the journey's last touch, for time decay (the Markov
    chain and the other models do without)."""
    path = Path(path)
    if not path.is_file():
        raise AttributionError(f"{path}: no such file", hint="check the path")
    con = duckdb.connect()
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        src = _source(path)
        head = con.sql(f"SELECT * FROM {src} LIMIT 0")
        names = {c.lower(): c for c in head.columns}
        types = {c.lower(): str(t) for c, t in zip(head.columns, head.types, strict=True)}
        for col in (journey, ts, channel, converted, *(() if value is None else (value,))):
            if col.lower() not in names:
                raise AttributionError(f"{path}: no column {col!r}",
                                       hint=f"columns: {', '.join(names.values())}")  # fmt: skip
        j, t, c, cv = (_quote(x) for x in (journey, ts, channel, converted))
        v = "0.0" if value is None else _quote(value)
        v = v if value is not None and types[value.lower()] == "DOUBLE" else f"{v}::DOUBLE"
        text = c if types[channel.lower()] == "VARCHAR" else f"CAST({c} AS VARCHAR)"
        flag = cv if types[converted.lower()] == "BOOLEAN" else f"CAST({cv} AS BOOLEAN)"
        known = (
            _parquet_stats(path, journey, ts, channel) if src.startswith("read_parquet") else None
        )
        if known is None:
            stats = con.sql(
                f"SELECT min({j}), max({j}), min(epoch({t}))::BIGINT, max(epoch({t}))::BIGINT, "
                f"list(DISTINCT {text}) FILTER (WHERE {c} IS NOT NULL) FROM {src}"
            ).fetchall()[0]
            jmin, jmax, tmin, tmax, found = stats
            labels = sorted(found or [])
        else:
            jmin, jmax, tmin, tmax, labels = known
        enum = ", ".join("'" + str(x).replace("'", "''") + "'" for x in labels)
        con.execute(f"CREATE TYPE _member AS ENUM ({enum})")
        code = f"enum_code({text}::_member)::BIGINT"
        cb = max(1, (len(labels) - 1).bit_length())
        tb = max(1, int(tmax - tmin).bit_length()) if tmin is not None else 1
        integer = types[journey.lower()] in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT",
                                             "UBIGINT", "UINTEGER")  # fmt: skip
        shift = 0 if integer and jmin is not None and jmin >= 0 else jmin
        jb = int(jmax - (shift or 0)).bit_length() if integer and jmin is not None else 64
        jkey = f"{j}::BIGINT" if not shift else f"({j}::BIGINT - {shift}::BIGINT)"
        if integer and jb + tb + cb <= 63:
            # the sort moves one 64-bit key per touch (journey, second, channel); whether a
            # journey converted and its value come from its (few) converting rows, by journey id
            key = (f"(({jkey} << {tb + cb}) | "
                   f"((epoch({t})::BIGINT - {tmin}::BIGINT) << {cb}) | {code})")  # fmt: skip
            keys = con.sql(f"SELECT {key} AS k FROM {src} ORDER BY k").fetchnumpy()["k"]
            won = con.sql(f"SELECT {jkey} AS j, {v} AS v FROM {src} WHERE {flag}").fetchnumpy()
            return _keyed(np.asarray(keys, dtype=np.int64), won, tb + cb, cb, labels, times)
        got = con.sql(
            f"SELECT {j} AS j, {code} AS m, {flag}::BIGINT AS cv, {v} AS v, "
            f"epoch({t})::DOUBLE AS s FROM {src} ORDER BY {j}, epoch({t}), m"
        ).fetchnumpy()
    finally:
        con.close()
    jid = np.asarray(got["j"])
    member = np.asarray(got["m"], dtype=np.int64)
    conv_row = np.asarray(got["cv"], dtype=np.int64)
    value_row = np.nan_to_num(np.asarray(got["v"], dtype=np.float64)) * conv_row
    n = member.size
    new = np.empty(n, dtype=bool)
    new[:1] = True
    np.not_equal(jid[1:], jid[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    offsets = np.append(starts, n).astype(np.int64)
    conv = np.maximum.reduceat(conv_row, starts).astype(np.float64) if n else np.zeros(0)
    val = np.maximum.reduceat(value_row, starts) if n else np.zeros(0)
    age = _ages(np.asarray(got["s"], dtype=np.float64), offsets) if times else None
    return Journeys(offsets, member, conv, 1.0 - conv, val, tuple(str(x) for x in labels),
                    age_days=age)  # fmt: skip
