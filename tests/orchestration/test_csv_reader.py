"""The two CSV readers agree: Arrow's (one record per line) and the csv module's (everything else).

``read_csv`` tries Arrow first and falls back to the csv module; whichever runs, the file must load
into the same table, with the same encoding, extra columns, short lines and error messages.
"""

from __future__ import annotations

import csv
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestration.loading.contract import INPUT_FILES, SDTM_FILES, Column, InputFile
from orchestration.loading.readers import (
    ExportError,
    LoadedFile,
    _as_utf8,
    _is_utf8,
    _read_with_arrow,
    _read_with_python,
    decode,
    read_csv,
)

CT = next(s for s in INPUT_FILES if s.path == "edc/ct.csv")  # SUBJID,CTSEQ,CTTYPE,CTNAME,CTSTDAT
HEADER = b"SUBJID,CTSEQ,CTTYPE,CTNAME,CTSTDAT\n"
CLEAN = HEADER + b"101-001,1,SYSTEMIC,Sorafenib,20 APR 2025\n101-002, 2 ,LOCAL,,UN MAY 2025\n"


def readings(data: bytes, spec=CT) -> tuple[LoadedFile | None, LoadedFile]:
    """(Arrow's reading or None when it declines, the csv module's reading of the decoded text)."""
    text, encoding = decode(spec, data)
    utf8, utf8_encoding = _as_utf8(spec, data)
    assert (utf8.decode("utf-8-sig"), utf8_encoding) == (text, encoding)
    return _read_with_arrow(spec, utf8, encoding), _read_with_python(spec, text, encoding)


def assert_same(got: LoadedFile, expected: LoadedFile) -> None:
    assert got.table.schema == expected.table.schema
    assert got.table.to_pylist() == expected.table.to_pylist()
    assert (got.encoding, got.extra_columns, got.short_lines) == (
        expected.encoding,
        expected.extra_columns,
        expected.short_lines,
    )


ONE_RECORD_PER_LINE = {
    "clean": CLEAN,
    "crlf": CLEAN.replace(b"\n", b"\r\n"),
    "quoted comma": HEADER + b'101-001,1,SYSTEMIC,"Sorafenib, then ""TACE""",20 APR 2025\n',
    "quote inside a value": HEADER + b'101-001,1,SYSTEMIC,12" needle,20 APR 2025\n',
    "windows-1252": HEADER + "101-001,1,SYSTEMIC,Fièvre – élevée,20 APR 2025\r\n".encode("cp1252"),
    "utf-8 with bom": b"\xef\xbb\xbf" + HEADER + "101-001,1,SYSTEMIC,Fièvre – élevée,20 APR 2025\n".encode(),
    "no final newline": CLEAN.rstrip(b"\n"),
    "extra columns": b"SUBJID,CTNOTE,CTSEQ,CTTYPE,CTNAME,CTSTDAT,SITE\n101-001,x,1,SYSTEMIC,Sorafenib,20 APR 2025,\n",
    "padded lower-case header": b" subjid ,ctseq,CTTYPE,CTNAME,CTSTDAT\r\n101-001,1,SYSTEMIC,Sorafenib,20 APR 2025\r\n",
    "whitespace": HEADER + '\t101-001\xa0, 1,\u3000," ",20 APR 2025 \r\n'.encode(),
    "header only": HEADER,
    "several Arrow blocks": HEADER
    + b"".join(b"101-%03d,%d,SYSTEMIC,Sorafenib,20 APR 2025\n" % (i % 1000, i) for i in range(40_000)),
}


@pytest.mark.parametrize("data", ONE_RECORD_PER_LINE.values(), ids=ONE_RECORD_PER_LINE.keys())
def test_arrow_reads_a_one_record_per_line_file_like_the_csv_module(data):
    fast, python = readings(data)
    assert fast is not None, "Arrow declined the file"
    assert_same(fast, python)
    assert_same(read_csv(CT, data), python)


def test_an_absent_permissible_column_reads_as_empty_on_either_path():
    spec = next(s for s in SDTM_FILES if s.domain == "tu")
    columns = [c for c in spec.column_names if c not in ("TUEVALID", "TUDTC")]
    data = (",".join(columns) + "\n" + ",".join("x" for _ in columns) + "\n").encode()
    fast, python = readings(data, spec)
    assert fast is not None
    assert_same(fast, python)
    assert fast.table.column("TUDTC").to_pylist() == [None]


NOT_ONE_RECORD_PER_LINE = {
    "quoted newline": HEADER + b'101-001,1,SYSTEMIC,"Sorafenib\r\nthen TACE",20 APR 2025\r\n101-002,1,LOCAL,TACE,\r\n',
    "blank line": CLEAN.replace(b"\n101-002", b"\n\n101-002"),
    "blank line at the end": CLEAN + b"\n",
    "whitespace line": CLEAN.replace(b"\n101-002", b"\n  \t\n101-002"),
    "short line": CLEAN + b"101-003,1,LOCAL\n",
    "long line": CLEAN + b"101-003,1,LOCAL,TACE,20 APR 2025,extra\n",
    "lone carriage returns": CLEAN.replace(b"\n", b"\r"),
    "one lone carriage return": CLEAN.replace(b"\n", b"\r", 1),
    "lone carriage return and a blank line": CLEAN.replace(b"\n101-002", b"\r101-002") + b"\n101-003,1,LOCAL,TACE,\n",
    "header only without newline": HEADER.rstrip(),
    "quoted newline in the header": b'SUBJID,"CTSEQ\n",CTTYPE,CTNAME,CTSTDAT\n101-001,1,SYSTEMIC,Sorafenib,20 APR 2025\n',
}


@pytest.mark.parametrize("data", NOT_ONE_RECORD_PER_LINE.values(), ids=NOT_ONE_RECORD_PER_LINE.keys())
def test_other_files_fall_back_to_the_csv_module(data):
    fast, python = readings(data)
    assert fast is None
    assert_same(read_csv(CT, data), python)


REFUSED = {
    "text after a closing quote": HEADER + b'101-001,1,SYSTEMIC,"Sorafenib" x,20 APR 2025\n',
    "quote open at the end": HEADER + b'101-001,1,SYSTEMIC,Sorafenib,"20 APR 2025\n',
    "missing column": b"SUBJID,CTSEQ,CTTYPE,CTSTDAT\n101-001,1,SYSTEMIC,20 APR 2025\n",
    "empty file": b"",
    "blank header": b" , \n101-001,1,SYSTEMIC,Sorafenib,20 APR 2025\n",
    "quote open in the header": b'SUBJID,"CTSEQ,CTTYPE,CTNAME,CTSTDAT\n',
}


def assert_refused_alike(data: bytes) -> None:
    with pytest.raises(ExportError) as python:
        _read_with_python(CT, *decode(CT, data))
    with pytest.raises(ExportError) as either:
        read_csv(CT, data)
    assert str(either.value) == str(python.value)


@pytest.mark.parametrize("data", REFUSED.values(), ids=REFUSED.keys())
def test_refused_files_are_refused_with_the_csv_module_message(data):
    assert_refused_alike(data)


def test_a_field_over_the_csv_field_size_limit_is_refused_as_the_csv_module_refuses_it():
    limit = csv.field_size_limit(10)  # "20 APR 2025" has 11 characters
    try:
        assert_refused_alike(CLEAN)
    finally:
        csv.field_size_limit(limit)


def test_nul_bytes_are_refused():
    with pytest.raises(ExportError, match=r"edc/ct\.csv: contains NUL bytes"):
        read_csv(CT, CLEAN.replace(b"Sorafenib", b"Sora\x00fenib"))


def test_a_one_column_file_is_left_to_the_csv_module():
    # The csv module skips a line of blanks; Arrow would read it as a row with an empty value.
    spec = InputFile("one", "edc", key=("SUBJID",), columns=(Column("SUBJID"),))
    fast, python = readings(b"SUBJID\n101-001\n  \n101-002\n", spec)
    assert fast is None and python.table.column("_line").to_pylist() == [2, 4]


# Fields as exports write them, and now and then as they go wrong: quotes where they do not belong,
# line ends inside quotes, rows of another width, blank rows, lone carriage returns. one_of draws
# its branches alike, so a branch listed twice comes twice as often.
UNQUOTED = st.text(alphabet=' a\té\xa0"', max_size=4).filter(lambda s: not s.startswith('"'))
QUOTED = st.text(alphabet=' a,"\xa0', max_size=4).map(lambda s: '"' + s.replace('"', '""') + '"')
ODD = st.one_of(
    st.text(alphabet=' a,"\r\n', max_size=4).map(lambda s: '"' + s.replace('"', '""') + '"'),
    st.tuples(QUOTED, st.sampled_from([" ", "x", '"'])).map("".join),
    st.just('"a'),
)
FIELD = st.one_of(UNQUOTED, UNQUOTED, QUOTED, QUOTED, ODD)
ROW = st.one_of(
    *[st.lists(st.one_of(UNQUOTED, QUOTED), min_size=5, max_size=5).map(",".join)] * 8,
    st.lists(FIELD, min_size=4, max_size=6).map(",".join),
    st.just(""),
)
END = st.sampled_from(["\n", "\r\n"] * 6 + ["\r"])


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.tuples(ROW, END), max_size=5),
    final_newline=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_any_file_reads_as_the_csv_module_reads_it(rows, final_newline, encoding):
    text = "SUBJID,CTSEQ,CTTYPE,CTNAME,CTSTDAT\r\n" + "".join(row + end for row, end in rows)
    data = (text if final_newline or not rows else text[: -len(rows[-1][1])]).encode(encoding)
    try:
        expected = _read_with_python(CT, *decode(CT, data))
    except ExportError as error:
        with pytest.raises(ExportError) as fast:
            read_csv(CT, data)
        assert str(fast.value) == str(error)
    else:
        assert_same(read_csv(CT, data), expected)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=8),
        st.text(max_size=4).map(str.encode),
        st.lists(
            st.sampled_from(
                [
                    b"\xed\xa0\x80",
                    b"\xc0\x80",
                    b"\xf4\x90\x80\x80",
                    b"\xe2\x82",
                    b"\xe2\x82\xac",
                    b"\xef\xbb\xbf",
                    b"a",
                    b"\x80",
                ]
            ),
            max_size=3,
        ).map(b"".join),
    )
)
def test_utf8_validation_agrees_with_python(data):
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        assert not _is_utf8(data)
    else:
        assert _is_utf8(data)


def test_arrow_strips_what_str_strip_strips():
    values = [chr(c) + "x" + chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    assert pc.utf8_trim_whitespace(pa.array(values)).to_pylist() == [v.strip() for v in values]
