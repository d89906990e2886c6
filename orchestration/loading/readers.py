"""Reading an export folder: the manifest, file integrity and the CSV files themselves.

Everything here fails with an :class:`ExportError` that names the file, the line or column, and
what was expected, so that a data manager can fix the export without reading a stack trace.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from orchestration.loading.contract import INPUT_FILES, InputFile

MANIFEST = "manifest.json"


class ExportError(Exception):
    """An unusable export: the refresh stops and the last good snapshot stays published."""


@dataclass(frozen=True)
class FileEntry:
    path: str
    sha256: str
    rows: int
    problem: str = ""  # why the file cannot be loaded (missing, not in the manifest, changed); empty: usable


@dataclass(frozen=True)
class Export:
    """One export folder, identified and verified."""

    export_id: str
    directory: Path
    exported_at: datetime
    files: tuple[FileEntry, ...]
    manifest_written_by: str  # "sender" (manifest.json in the folder) or "warehouse"

    @property
    def export_date(self) -> date:
        return self.exported_at.date()

    @property
    def problems(self) -> tuple[str, ...]:
        """Every file-level problem of the export, so that one refresh reports them all."""
        return tuple(f.problem for f in self.files if f.problem)

    def as_json(self) -> str:
        return json.dumps(
            [{"path": f.path, "sha256": f.sha256, "rows": f.rows, "problem": f.problem} for f in self.files],
            sort_keys=True,
        )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_complete(directory: Path) -> bool:
    """An export is complete once its sender has written manifest.json (written last)."""
    return (directory / MANIFEST).is_file()


def export_tags(directory: Path) -> dict[str, str]:
    """Dagster run tags naming the export a run loads (shown in the UI's runs list)."""
    tags = {"export": directory.name}
    try:
        tags["export_id"] = str(json.loads((directory / MANIFEST).read_text(encoding="utf-8-sig"))["export_id"])
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no or unreadable manifest: the run itself says why
    return tags


def newest_complete_export(landing: Path) -> Path:
    """The most recent export folder in landing whose manifest.json has been written."""
    complete = [d for d in landing.iterdir() if d.is_dir() and is_complete(d)] if landing.is_dir() else []
    if not complete:
        raise ExportError(f"no complete export (a folder with manifest.json) in {landing}")
    return max(complete, key=lambda d: ((d / "manifest.json").stat().st_mtime, d.name))


def open_export(directory: Path, paths: list[str] | None = None) -> Export:
    """Identify an export folder and verify every file against its manifest.

    ``paths``: the files the export must hold (default: the EDC layout, SPEC section 3); the SDTM
    layout passes its own list (see ``contract.layout_files`` and ``contract.file_path``).
    A folder without manifest.json is accepted (``warehouse refresh --export DIR``): the warehouse
    computes the hashes itself and records them in ``audit.exports``.

    A problem with one file (missing, not listed in the manifest, changed since export) is recorded
    on its entry (``Export.problems``) rather than raised, so that the refresh goes on to check
    every other file and reports everything wrong with the export at once. Only a folder or a
    manifest that cannot be read at all stops here.
    """
    paths = list(paths) if paths is not None else [f.path for f in INPUT_FILES]
    directory = Path(directory).resolve()
    if not directory.is_dir():
        raise ExportError(f"export folder {directory} does not exist")
    if is_complete(directory):
        return _verified_against_manifest(directory, paths)
    return _described_by_warehouse(directory, paths)


def _missing(directory: Path, path: str, paths: list[str]) -> FileEntry | None:
    if (directory / path).is_file():
        return None
    return FileEntry(
        path, "", -1, f"{path}: the file is missing from export {directory.name} (expected all of: {', '.join(paths)})"
    )


def _verified_against_manifest(directory: Path, paths: list[str]) -> Export:
    manifest_path = directory / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8-sig"))
        export_id = str(manifest["export_id"])
        exported_at = _parse_timestamp(manifest["exported_at"])
        listed = {str(item["path"]): item for item in manifest["files"]}
    except (ValueError, KeyError, TypeError) as error:
        raise ExportError(
            f"{MANIFEST} in {directory.name} is not readable ({error}); expected "
            '{"export_id", "exported_at", "files": [{"path", "sha256", "rows"}]}'
        ) from None
    entries = []
    for path in paths:
        item = listed.get(path)
        missing = _missing(directory, path, paths)
        if missing is not None:
            entries.append(missing)
            continue
        actual = sha256_of(directory / path)
        if item is None:
            entries.append(FileEntry(path, actual, -1, f"{path}: not listed in {MANIFEST}; the file is refused"))
            continue
        expected = str(item.get("sha256", "")).lower()
        problem = (
            ""
            if actual == expected
            else (
                f"{path}: SHA-256 {actual[:12]}… does not match {MANIFEST} ({expected[:12]}…); "
                "the file changed after export, export refused"
            )
        )
        entries.append(FileEntry(path, actual, int(item.get("rows", -1)), problem))
    return Export(export_id, directory, exported_at, tuple(entries), "sender")


def _described_by_warehouse(directory: Path, paths: list[str]) -> Export:
    entries = tuple(
        _missing(directory, path, paths) or FileEntry(path, sha256_of(directory / path), -1) for path in paths
    )
    combined = hashlib.sha256("".join(e.sha256 for e in entries).encode()).hexdigest()[:12]
    present = [directory / e.path for e in entries if not e.problem]
    newest = max((p.stat().st_mtime for p in present), default=directory.stat().st_mtime)
    exported_at = datetime.fromtimestamp(newest, tz=UTC).replace(microsecond=0)
    return Export(f"{directory.name}-{combined}", directory, exported_at, entries, "warehouse")


def _parse_timestamp(value: str) -> datetime:
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --- CSV files -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedFile:
    """A file's rows as text, with their physical line numbers, ready for the raw schema."""

    spec: InputFile
    table: pa.Table  # contract columns (text, None when empty) + _line
    encoding: str
    extra_columns: tuple[str, ...]
    short_lines: tuple[tuple[int, int], ...]  # (line, fields found) where fields != header


def decode(spec: InputFile, data: bytes, path: str | None = None) -> tuple[str, str]:
    """Decode UTF-8 (with or without BOM), falling back to Windows-1252 as EDC exports use."""
    try:
        return data.decode("utf-8-sig"), "utf-8-sig" if data[:3] == b"\xef\xbb\xbf" else "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ExportError(
            f"{path or spec.path}, line {line}: byte 0x{data[error.start]:02X} cannot be decoded; "
            "expected UTF-8, UTF-8 with BOM or Windows-1252 text"
        ) from None


def read_csv(spec: InputFile, data: bytes, path: str | None = None) -> LoadedFile:
    """Parse one export file, failing clearly when it is not the CSV the contract describes.

    ``path``: where the file is in the export when not ``spec.path`` (SDTM profile file names).
    Columns marked ``may_be_absent`` that the header lacks are read as empty.
    Arrow reads the usual file (one record per line) in a fraction of the time; anything else
    (blank lines, values over several lines, short lines, loose quoting) goes to the ``csv``
    module, which numbers lines, reports short lines and refuses invalid CSV.
    """
    if path is not None and path != spec.path:
        spec = _renamed(spec, path)
    utf8, encoding = _as_utf8(spec, data)
    if b"\x00" in utf8:
        raise ExportError(f"{spec.path}: contains NUL bytes; expected a CSV text file")
    loaded = _read_with_arrow(spec, utf8, encoding)
    return loaded if loaded is not None else _read_with_python(spec, utf8.decode("utf-8-sig"), encoding)


def _as_utf8(spec: InputFile, data: bytes) -> tuple[bytes, str]:
    """The file as UTF-8 bytes (a BOM left in place) and its encoding, for Arrow (UTF-8 only).

    Same answer as ``decode``, but a UTF-8 file is validated in place rather than decoded (a str
    of the whole file costs time and up to four times its size); only Windows-1252 is re-encoded.
    """
    if data.isascii() or _is_utf8(data):
        return data, "utf-8-sig" if data[:3] == b"\xef\xbb\xbf" else "utf-8"
    text, encoding = decode(spec, data)
    return text.encode("utf-8"), encoding


def _is_utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8, checked by Arrow over the bytes as one string, no copy."""
    offsets = pa.py_buffer(np.array([0, len(data)], np.int64))
    try:
        pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)]).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _header(spec: InputFile, row: list[str] | None) -> list[str]:
    """The header row, stripped and upper-cased; refused when empty or a contract column is missing."""
    if row is None or not any(h.strip() for h in row):
        raise ExportError(f"{spec.path}: the file is empty; expected a header row with {', '.join(spec.column_names)}")
    header = [h.strip().upper() for h in row]
    missing = [c.name for c in spec.columns if c.name not in header and not c.may_be_absent]
    if missing:
        what = "column" if len(missing) == 1 else "columns"
        raise ExportError(
            f"{spec.path}, line 1: missing {what} {', '.join(missing)}; expected header {', '.join(spec.column_names)}"
        )
    return header


def _loaded(
    spec: InputFile,
    header: list[str],
    columns: list[pa.ChunkedArray | pa.Array],
    lines: pa.Array,
    encoding: str,
    short: tuple[tuple[int, int], ...],
) -> LoadedFile:
    table = pa.table([*columns, lines], names=[*spec.column_names, "_line"])
    extra = tuple(h for h in header if h not in spec.column_names)
    return LoadedFile(spec, table, encoding, extra, short)


# A line whose every field is either unquoted (no quote at its start) or quoted and closed right
# before the next comma or the line end: the ``csv`` module and Arrow split such lines alike.
_FIELD = rb'(?:"(?:[^"\r\n]|"")*"|[^",\r\n][^,\r\n]*)?'
_PLAIN_LINE = re.compile(_FIELD + rb"(?:," + _FIELD + rb")*\r?\n?")
_LONE_CR = re.compile(rb"\r(?!\n)")


def _read_with_arrow(spec: InputFile, utf8: bytes, encoding: str) -> LoadedFile | None:
    """Arrow's multi-threaded reader, or None when the file is not one record per physical line.

    Arrow skips blank lines and a lone ``\\r`` ends its lines, so rows are matched to physical
    lines only when there is neither; it also accepts what ``csv`` strict mode refuses (text after
    a closing quote, a quote still open at the end of the file), hence the check of every line
    holding a quote, and fields longer than ``csv.field_size_limit()``.
    """
    if b"\r" in utf8 and _LONE_CR.search(utf8):
        return None
    body = utf8.find(b"\n") + 1 or len(utf8)
    try:
        first = next(csv.reader(io.StringIO(utf8[:body].decode("utf-8-sig"), newline=""), strict=True), None)
    except csv.Error:
        return None  # the header is not one line of valid CSV: let the csv module say why
    header = _header(spec, first)
    width = len(header)
    # In a one-column file Arrow cannot tell a blank line (skipped by csv) from an empty value.
    if width < 2 or not _quotes_are_plain(utf8, body):
        return None
    names = [f"f{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(utf8),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=True,
                null_values=[""],
                check_utf8=False,  # validated by _as_utf8
            ),
        )
    except pa.ArrowException:
        return None  # a line with another field count, among others
    lines = utf8.count(b"\n", body) + (len(utf8) > body and not utf8.endswith(b"\n"))
    limit = csv.field_size_limit()
    if table.num_rows != lines or any((pc.max(pc.binary_length(c)).as_py() or 0) > limit for c in table.columns):
        return None
    # Each column read is dropped once stripped, so the file is held about once, not twice.
    read = dict(enumerate(table.columns))
    del table
    columns = [
        _stripped(read.pop(header.index(name))) if name in header else pa.nulls(lines, pa.string())
        for name in spec.column_names
    ]
    line_numbers = pa.array(np.arange(2, lines + 2, dtype=np.int32))
    return _loaded(spec, header, columns, line_numbers, encoding, ())


def _quotes_are_plain(utf8: bytes, start: int) -> bool:
    """Whether every line from ``start`` that holds a quote is a plain line (see ``_PLAIN_LINE``)."""
    quote = utf8.find(b'"', start)
    while quote != -1:
        end = utf8.find(b"\n", quote) + 1 or len(utf8)
        if not _PLAIN_LINE.fullmatch(utf8, utf8.rfind(b"\n", 0, quote) + 1, end):
            return False
        quote = utf8.find(b'"', end)
    return True


def _stripped(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Values stripped as ``str.strip()`` does, empty ones null.

    Arrow's whitespace is Python's (pinned by a test); "" is already null as read, so only values
    of nothing but whitespace need the (slower) second pass.
    """
    values = pc.utf8_trim_whitespace(values)
    if pc.any(pc.equal(pc.binary_length(values), 0)).as_py():
        values = pc.if_else(pc.equal(pc.binary_length(values), 0), pa.scalar(None, pa.string()), values)
    return values


def _read_with_python(spec: InputFile, text: str, encoding: str) -> LoadedFile:
    """The ``csv`` module, record by record: blank lines, multi-line values, short lines, errors."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = _header(spec, next(reader, None))
        # An absent permissible column reads as empty (position past the end of every row).
        positions = [header.index(c) if c in header else 1 << 30 for c in spec.column_names]
        width = len(header)
        columns: list[list[str | None]] = [[] for _ in positions]
        lines: list[int] = []
        short: list[tuple[int, int]] = []
        start = reader.line_num
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                start = reader.line_num
                continue  # blank line
            if len(row) != width:
                short.append((start + 1, len(row)))
            for values, position in zip(columns, positions):
                value = row[position].strip() if position < len(row) else ""
                values.append(value or None)
            lines.append(start + 1)
            start = reader.line_num
    except csv.Error as error:
        raise ExportError(
            f"{spec.path}, line {reader.line_num}: not valid CSV ({error}); "
            "expected comma-separated values with double-quoted text"
        ) from None
    arrays = [pa.array(values, pa.string()) for values in columns]
    return _loaded(spec, header, arrays, pa.array(lines, pa.int32()), encoding, tuple(short))


class _RenamedSpec:
    """An InputFile seen under another path (only ``path`` differs), for messages."""

    def __init__(self, spec: InputFile, path: str) -> None:
        self._spec, self.path = spec, path

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self._spec, name)


def _renamed(spec: InputFile, path: str) -> InputFile:
    return _RenamedSpec(spec, path)  # type: ignore[return-value]


def read_xport(spec: InputFile, data: bytes, path: str) -> LoadedFile:
    """Read a SAS XPORT (.xpt) dataset with pandas into the same text shape as a CSV.

    Line numbers are observation numbers + 1 (as if the header were line 1), so quarantine rows
    point at the same record a CSV export of the dataset would have on that line.
    """
    import pandas as pd

    try:
        frame = pd.read_sas(io.BytesIO(data), format="xport", encoding="utf-8")
    except Exception as error:  # noqa: BLE001 - any reader failure means "not an XPORT file"
        raise ExportError(f"{path}: not a readable SAS XPORT file ({error}); expected a .xpt dataset") from None
    frame.columns = [str(c).strip().upper() for c in frame.columns]
    missing = [c.name for c in spec.columns if c.name not in frame.columns and not c.may_be_absent]
    if missing:
        raise ExportError(f"{path}: missing variable(s) {', '.join(missing)}; expected {', '.join(spec.column_names)}")

    def text(value) -> str | None:  # noqa: ANN001
        if value is None or (isinstance(value, float) and value != value):
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        value = str(value).strip()
        return value or None

    arrays = {
        name: pa.array([text(v) for v in frame[name]] if name in frame.columns else [None] * len(frame), pa.string())
        for name in spec.column_names
    }
    arrays["_line"] = pa.array(range(2, len(frame) + 2), pa.int32())
    extra = tuple(c for c in frame.columns if c not in spec.column_names)
    return LoadedFile(spec, pa.table(arrays), "sas-xport", extra, ())
