"""The fast CSV reader (Arrow) gives exactly the frame of the row-by-row reader (Python's csv module) on every
file it accepts, and hands every other file to the row-by-row reader, whose messages name the rows."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dataflow.errors import ContractError
from dataflow.validation import REASON, ROW, _read_csv_fast, _read_csv_rows, read_csv_text

FIXTURES = sorted((Path(__file__).parent / "bad_inputs").rglob("*.csv"))

# well-formed files: the fast reader must take them, and agree with the csv module value for value
WELL_FORMED = {
    "bom": b"\xef\xbb\xbfa,b\n1,2\n",
    "blank_lines": b"a,b\n1,2\n\n3,4\n",
    "blank_before_header": b"\na,b\n1,2\n",
    "quote_inside": b'a,b\nx"y,2\n',
    "quoted_then_text": b'a,b\n"x"y,2\n',
    "quoted_comma_and_newline": b'a,b\n"x,\r\ny",2\n',
    "doubled_quote": b'a,b\n"say ""hi""",2\n',
    "crlf": b"a,b\r\n1,2\r\n",
    "empty_and_quoted_empty": b'a,b\n"",\n,3\n',
    "spaces_kept": b"a,b\n 1 , 2 \n",
    "header_spaces": b" a , b \n1,2\n",
    "no_final_newline": b"a,b\n1,2",
    "accents": "a,b\nCádiz,2\n".encode(),
}
# files the fast reader must refuse (the csv module names what is wrong, or reads what Arrow cannot)
REFUSED = {
    "fewer_values": b"a,b\n1\n3,4\n",
    "more_values": b"a,b\n1,2,3\n3,4\n",
    "whitespace_line": b"a,b\n1,2\n \n",
    "unclosed_quote": b'a,b\n"abc,2\n',
    "not_utf8": b"a,b\n\xff,2\n",
    "repeated_header": b"a, a\n1,2\n",
    "header_only": b"a,b\n",
}


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / f"{name}.csv"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name", sorted(WELL_FORMED))
def test_fast_reader_equals_row_reader_on_well_formed_files(tmp_path, name):
    path = _write(tmp_path, name, WELL_FORMED[name])
    fast = _read_csv_fast(path)
    assert fast is not None
    assert_frame_equal(fast, _read_csv_rows(path, name))


def test_values_as_the_csv_module_reads_them(tmp_path):
    path = _write(tmp_path, "x", b' a ,b\n"x,\r\ny", 2 \n"",3\n')
    assert read_csv_text(path, "x").to_dicts() == [
        {"a": "x,\r\ny", "b": " 2 ", ROW: 1, REASON: None},
        {"a": None, "b": "3", ROW: 2, REASON: None},
    ]


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_fast_reader_refuses_what_it_cannot_read_exactly(tmp_path, name):
    assert _read_csv_fast(_write(tmp_path, name, REFUSED[name])) is None


def test_ragged_row_still_named_by_the_row_reader(tmp_path):
    frame = read_csv_text(_write(tmp_path, "r", b"a,b\n1,2\n3\n4,5\n"), "r.csv")
    assert frame[REASON].to_list() == [
        None,
        "row has 1 values but the header has 2 columns (a stray comma or quote?): '3'",
        None,
    ]


def test_unreadable_file_still_stops_with_the_row_readers_message(tmp_path):
    with pytest.raises(ContractError, match="is not UTF-8 text"):
        read_csv_text(_write(tmp_path, "u", b"a,b\n\xff,2\n"), "u.csv")


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_fast_reader_equals_row_reader_on_the_bad_input_fixtures(path):
    fast = _read_csv_fast(path)
    try:
        slow = _read_csv_rows(path, path.name)
    except ContractError:
        assert fast is None  # a file the row reader rejects never gets through the fast one
        return
    if fast is not None:
        assert_frame_equal(fast, slow)
    else:  # refused: only files with a row the csv module marks as ragged
        assert slow[REASON].is_not_null().any()


def test_fast_reader_takes_a_generated_price_file(tmp_path):
    rows = "\n".join(f"C{i:05d},2024-{1 + i % 12:02d}-01,0.{i % 97:02d},,{i % 3}" for i in range(5000))
    path = _write(tmp_path, "p", f"customer_id,pricing_date,p1,p2,p3\n{rows}\n".encode())
    fast = _read_csv_fast(path)
    assert fast is not None and fast.height == 5000
    assert fast["p2"].null_count() == 5000 and fast[ROW].to_list()[-1] == 5000
    assert_frame_equal(fast, _read_csv_rows(path, "p"))
    assert fast.schema == pl.Schema(
        {"customer_id": pl.Utf8, "pricing_date": pl.Utf8, "p1": pl.Utf8, "p2": pl.Utf8, "p3": pl.Utf8}
        | {ROW: pl.Int64, REASON: pl.Utf8}
    )
