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


def open_export(directory: Path) -> Export:
    """Identify an export folder and verify every file against its manifest.

    A folder without manifest.json is accepted (``warehouse refresh --export DIR``): the warehouse
    computes the hashes itself and records them in ``audit.exports``.
    """
    directory = Path(directory).resolve()
    if not directory.is_dir():
        raise ExportError(f"export folder {directory} does not exist")
    missing = [f.path for f in INPUT_FILES if not (directory / f.path).is_file()]
    if missing:
        raise ExportError(
            f"export {directory.name} is missing {', '.join(missing)} "
            f"(expected all of: {', '.join(f.path for f in INPUT_FILES)})"
        )
    if is_complete(directory):
        return _verified_against_manifest(directory)
    return _described_by_warehouse(directory)


def _verified_against_manifest(directory: Path) -> Export:
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
    for spec in INPUT_FILES:
        item = listed.get(spec.path)
        if item is None:
            raise ExportError(f"{MANIFEST} does not list {spec.path}; the export is refused")
        actual = sha256_of(directory / spec.path)
        if actual != str(item.get("sha256", "")).lower():
            raise ExportError(
                f"{spec.path}: SHA-256 {actual[:12]}… does not match {MANIFEST} "
                f"({str(item.get('sha256'))[:12]}…); the file changed after export, export refused"
            )
        entries.append(FileEntry(spec.path, actual, int(item.get("rows", -1))))
    return Export(export_id, directory, exported_at, tuple(entries), "sender")


def _described_by_warehouse(directory: Path) -> Export:
    entries = tuple(
        FileEntry(spec.path, sha256_of(directory / spec.path), -1) for spec in INPUT_FILES
    )
    combined = hashlib.sha256("".join(e.sha256 for e in entries).encode()).hexdigest()[:12]
    newest = max((directory / spec.path).stat().st_mtime for spec in INPUT_FILES)
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


def decode(spec: InputFile, data: bytes) -> tuple[str, str]:
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
            f"{spec.path}, line {line}: byte 0x{data[error.start]:02X} cannot be decoded; "
            "expected UTF-8, UTF-8 with BOM or Windows-1252 text"
        ) from None


def read_csv(spec: InputFile, data: bytes) -> LoadedFile:
    """Parse one export file, failing clearly when it is not the CSV the contract describes."""
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
        missing = [c for c in spec.column_names if c not in header]
        if missing:
            what = "column" if len(missing) == 1 else "columns"
            raise ExportError(
                f"{spec.path}, line 1: missing {what} {', '.join(missing)}; "
                f"expected header {', '.join(spec.column_names)}"
            )
        positions = [header.index(c) for c in spec.column_names]
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
