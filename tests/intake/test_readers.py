"""Readers: the header under a preamble, data-row numbers, totals and footers left out."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from demandos.errors import IntakeError
from demandos.intake.readers import find_header, head_rows, read_csv, read_xlsx


def test_csv_with_bom_preamble_footer_and_a_broken_row(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text(
        "\ufeffCampaign Performance Report\nReport Start: 11/1/2026\n\n"
        "Day,Campaign,Cost\n11/1/2026,A,1.00\n11/2/2026,B\n11/3/2026,C,3.00\n"
        'Total,,4.00\n\n"Grand Totals (3 records)"\n',
        encoding="utf-8",
    )
    rows = head_rows(path)
    line = find_header(rows, ("Day", "Campaign"))
    assert line == 3  # the 0-based physical line: blank lines count
    raw = read_csv(path, 3, r"^(Total|Grand Totals)", None)
    assert raw.header.columns == ("Day", "Campaign", "Cost")
    assert raw.table.column("Campaign").to_pylist() == ["A", "C"]
    assert raw.table.column("__row").to_pylist() == [1, 3]  # row 2 is the broken one
    assert [(row, reason) for row, _, reason in raw.broken] == [
        (2, "the row has 2 cells, the header has 3")
    ]
    assert raw.footers == 2


def test_xlsx_rows_are_padded_and_numbered(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Record ID", "First Name", "Email"])
    sheet.append([1001, "Ana", "ana@example.com"])
    sheet.append([1002, "Bo"])  # trailing empty cells are not stored
    path = tmp_path / "contacts.xlsx"
    book.save(path)
    raw = read_xlsx(path, 0, None, None)
    assert raw.table.to_pylist() == [
        {"Record ID": "1001", "First Name": "Ana", "Email": "ana@example.com", "__row": 1},
        {"Record ID": "1002", "First Name": "Bo", "Email": "", "__row": 2},
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\x00\x01PK", "binary file"),
        ("Día,Coste\n".encode("latin-1") * 3, "not UTF-8"),
    ],
)
def test_unreadable_files_say_why(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    with pytest.raises(IntakeError) as info:
        head_rows(path)
    assert message in info.value.message and "x.csv" in info.value.message


def test_a_broken_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"not a zip")
    with pytest.raises(IntakeError) as info:
        head_rows(path)
    assert "not a readable XLSX" in info.value.message


def test_a_clean_csv_is_numbered_and_only_empty_or_comment_rows_are_left_out(
    tmp_path: Path,
) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Date,Campaign,Cost\n"
        + "".join(f"11/{i % 28 + 1}/2026,C{i},{i}.00\n" for i in range(5000))
        + ",D,5.00\n"  # an empty first cell: still data
        + " ,,\n"  # an empty row: not data
        + ",,\n"
        + "# exported by a tool,,\n"
        + "Total,,12.00\n",
        encoding="utf-8",
    )
    raw = read_csv(path, 0, r"^Total", "#")
    assert raw.table.column("__row").to_pylist() == list(range(1, 5002))
    assert raw.table.column("Campaign").to_pylist()[-2:] == ["C4999", "D"]
    assert (raw.broken, raw.footers) == ([], 4)
