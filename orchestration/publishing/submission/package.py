"""The submission package: every ADaM dataset as `<name>.xpt` and `<name>.json`, `define.xml` and
`define.html`, plus `package.json` (what is in it, with sizes and SHA-256).

`build_package` writes it into a folder before the snapshot is published (publishing copies it to
`<snapshot>/submission/`); `copy_package` is what `warehouse submission` does with the current one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from orchestration.publishing.submission.datasets import (
    Study,
    character_lengths,
    longest_values,
    write_dataset_files,
)
from orchestration.publishing.submission.define import build_define, dataset_facts, render_html
from orchestration.publishing.submission.spec import Dataset, read_specification

PACKAGE_MANIFEST = "package.json"


@dataclass(frozen=True)
class PackageFile:
    name: str
    bytes: int
    sha256: str
    dataset: str | None = None
    records: int | None = None


@dataclass(frozen=True)
class Package:
    folder: Path
    study: Study
    files: tuple[PackageFile, ...]
    seconds: float

    def summary(self) -> str:
        lines = [
            f"Submission package {self.folder}",
            f"  study {self.study.study_id}, export {self.study.export_id}, data cut-off {self.study.data_cutoff}",
        ]
        for file in self.files:
            records = f"{file.records:>8,} records" if file.records is not None else " " * 16
            lines.append(f"  {file.name:<14} {file.bytes:>12,} bytes {records}".rstrip())
        lines.append(f"  {len(self.files)} files, {sum(f.bytes for f in self.files):,} bytes")
        return "\n".join(lines)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def study_of(
    con: duckdb.DuckDBPyConnection, export_id: str, data_cutoff: str, code_version: str, schema: str = "adam"
) -> Study:
    (study_id,) = con.execute(f"select coalesce(min(STUDYID), 'UNKNOWN') from \"{schema}\".adsl").fetchall()[0]
    return Study(
        study_id=str(study_id),
        export_id=export_id,
        data_cutoff=data_cutoff,
        code_version=code_version,
        created_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
    )


def build_package(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    study: Study,
    specification: list[Dataset] | None = None,
    schema: str = "adam",
) -> Package:
    """Write the package into `folder` (replaced whole: written beside it, then renamed).

    Published snapshots link to these files (`snapshot.publish`, `written_whole`): a file of the
    package is never written again once it is in `folder`."""
    started = time.monotonic()
    specification = specification if specification is not None else read_specification()
    partial = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    facts = {}
    records = {}
    for dataset in specification:
        longest = longest_values(con, dataset, schema)
        xpt, json_file = partial / f"{dataset.name}.xpt", partial / f"{dataset.name}.json"
        records[dataset.name] = write_dataset_files(con, dataset, study, longest, xpt, json_file, schema)
        facts[dataset.name] = dataset_facts(con, dataset, character_lengths(dataset, longest), schema)
    (partial / "define.xml").write_bytes(build_define(specification, facts, study))
    (partial / "define.html").write_text(render_html(specification, facts, study), encoding="utf-8")
    files = []
    for dataset in specification:
        for suffix in (".xpt", ".json"):
            path = partial / f"{dataset.name}{suffix}"
            files.append(
                PackageFile(path.name, path.stat().st_size, _sha256(path), dataset.upper, records[dataset.name])
            )
    for name in ("define.xml", "define.html"):
        path = partial / name
        files.append(PackageFile(name, path.stat().st_size, _sha256(path)))
    package = Package(folder, study, tuple(files), round(time.monotonic() - started, 2))
    (partial / PACKAGE_MANIFEST).write_text(
        json.dumps({"study": asdict(study), "files": [asdict(f) for f in files]}, indent=2) + "\n", encoding="utf-8"
    )
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(partial, folder)
    return package


def read_package(folder: Path) -> Package:
    """A package written by `build_package`, from its `package.json`."""
    manifest: dict[str, Any] = json.loads((folder / PACKAGE_MANIFEST).read_text(encoding="utf-8"))
    files = tuple(PackageFile(**f) for f in manifest["files"])
    return Package(folder, Study(**manifest["study"]), files, 0.0)


def copy_package(snapshot: Path, out: Path) -> Package:
    """Copy a snapshot's `submission/` folder to `out` (created; files already there are replaced)."""
    source = snapshot / "submission"
    if not (source / PACKAGE_MANIFEST).exists():
        raise FileNotFoundError(
            f"{snapshot.name} has no submission package (snapshots published before the package existed have none); "
            "run a refresh to publish one"
        )
    package = read_package(source)
    out.mkdir(parents=True, exist_ok=True)
    for file in (*package.files, PackageFile(PACKAGE_MANIFEST, 0, "")):
        shutil.copyfile(source / file.name, out / file.name)
    for file in package.files:
        if _sha256(out / file.name) != file.sha256:
            raise OSError(f"{out / file.name}: copy differs from the published file (SHA-256)")
    return Package(out, package.study, package.files, 0.0)


@dataclass(frozen=True)
class ConformanceOutcome:
    results: Any  # pandas DataFrame: one row per rule and dataset (quality.conformance)

    @property
    def blocking_failures(self) -> Any:
        return self.results[(~self.results.passed) & (self.results.severity == "blocking")]

    @property
    def warnings(self) -> Any:
        return self.results[(~self.results.passed) & (self.results.severity == "warning")]


def run_conformance(
    con: duckdb.DuckDBPyConnection, export_id: str, dbt_vars: dict[str, Any], schema: str = "adam"
) -> ConformanceOutcome:
    """Check the marts against the ADaM rules and the specification; write `quality.conformance`."""
    from orchestration.publishing.submission.conformance import check_conformance, write_conformance

    results = check_conformance(con, read_specification(dbt_vars=dbt_vars), schema)
    write_conformance(con, results, export_id)
    return ConformanceOutcome(results)


def conformance_summary(database: Path) -> str:
    """One line per failed rule of the snapshot's `quality.conformance` (or that all passed)."""
    try:
        with duckdb.connect(str(database), read_only=True) as con:
            rows = con.execute(
                "select rule_id, dataset, severity, findings, message, passed from quality.conformance "
                "order by severity, rule_id, dataset"
            ).fetchall()
    except duckdb.Error:
        return "  conformance: not checked in this snapshot"
    failed = [row for row in rows if not row[5]]
    blocking = sum(row[3] for row in failed if row[2] == "blocking")
    warnings = sum(row[3] for row in failed if row[2] == "warning")
    rules = len({row[0] for row in rows})
    lines = [
        f"  conformance: {rules} rules on {len({r[1] for r in rows})} datasets, {blocking} blocking findings, {warnings} warnings"
    ]
    lines += [f"    {severity} {rule} {dataset}: {message[:160]}" for rule, dataset, severity, _, message, _ in failed]
    return "\n".join(lines)


def export_submission(snapshot: Path, out: Path) -> str:
    """`warehouse submission`: copy the snapshot's package to `out`; the summary to print."""
    package = copy_package(snapshot, out)
    return f"{package.summary()}\n  from snapshot {snapshot.name}\n{conformance_summary(snapshot / 'warehouse.duckdb')}"
