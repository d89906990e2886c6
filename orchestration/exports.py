"""Reading an export folder: the manifest, file integrity and the CSV files themselves.

Everything here fails with an :class:`ExportError` that names the file, the line or column, and
what was expected, so that a data manager can fix the export without reading a stack trace.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import pyarrow as pa

from orchestration.contract import INPUT_FILES, InputFile

MANIFEST = "manifest.json"


class ExportError(Exception):
    """An unusable export: the refresh stops and the last good snapshot stays published."""


@dataclass(frozen=True)
class FileEntry:
    path: str
    sha256: str
    rows: int


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

    def as_json(self) -> str:
        return json.dumps(
            [{"path": f.path, "sha256": f.sha256, "rows": f.rows} for f in self.files],
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


def open_export(directory: Path, paths: list[str] | None = None) -> Export:
    """Identify an export folder and verify every file against its manifest.

    ``paths``: the files the export must hold (default: the EDC layout, SPEC section 3); the SDTM
    layout passes its own list (see ``contract.layout_files`` and ``contract.file_path``).
    A folder without manifest.json is accepted (``warehouse refresh --export DIR``): the warehouse
    computes the hashes itself and records them in ``audit.exports``.
    """
    paths = list(paths) if paths is not None else [f.path for f in INPUT_FILES]
    directory = Path(directory).resolve()
    if not directory.is_dir():
        raise ExportError(f"export folder {directory} does not exist")
    missing = [path for path in paths if not (directory / path).is_file()]
    if missing:
        raise ExportError(
            f"export {directory.name} is missing {', '.join(missing)} "
            f"(expected all of: {', '.join(paths)})"
        )
    if is_complete(directory):
        return _verified_against_manifest(directory, paths)
    return _described_by_warehouse(directory, paths)


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
        if item is None:
            raise ExportError(f"{MANIFEST} does not list {path}; the export is refused")
        actual = sha256_of(directory / path)
        if actual != str(item.get("sha256", "")).lower():
            raise ExportError(
                f"{path}: SHA-256 {actual[:12]}… does not match {MANIFEST} "
                f"({str(item.get('sha256'))[:12]}…); the file changed after export, export refused"
            )
        entries.append(FileEntry(path, actual, int(item.get("rows", -1))))
    return Export(export_id, directory, exported_at, tuple(entries), "sender")


def _described_by_warehouse(directory: Path, paths: list[str]) -> Export:
    entries = tuple(FileEntry(path, sha256_of(directory / path), -1) for path in paths)
    combined = hashlib.sha256("".join(e.sha256 for e in entries).encode()).hexdigest()[:12]
    newest = max((directory / path).stat().st_mtime for path in paths)
    exported_at = datetime.fromtimestamp(newest, tz=timezone.utc).replace(microsecond=0)
    return Export(f"{directory.name}-{combined}", directory, exported_at, entries, "warehouse")


def _parse_timestamp(value: str) -> datetime:
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


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
    """
    if path is not None and path != spec.path:
        spec = _renamed(spec, path)
    text, encoding = decode(spec, data)
    if "\x00" in text:
        raise ExportError(f"{spec.path}: contains NUL bytes; expected a CSV text file")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            raise ExportError(
                f"{spec.path}: the file is empty; expected a header row with "
                f"{', '.join(spec.column_names)}"
            )
        header = [h.strip().upper() for h in header]
        missing = [c.name for c in spec.columns if c.name not in header and not c.may_be_absent]
        if missing:
            what = "column" if len(missing) == 1 else "columns"
            raise ExportError(
                f"{spec.path}, line 1: missing {what} {', '.join(missing)}; "
                f"expected header {', '.join(spec.column_names)}"
            )
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
    arrays = {name: pa.array(values, pa.string()) for name, values in zip(spec.column_names, columns)}
    arrays["_line"] = pa.array(lines, pa.int32())
    extra = tuple(h for h in header if h not in spec.column_names)
    return LoadedFile(spec, pa.table(arrays), encoding, extra, tuple(short))


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
