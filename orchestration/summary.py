"""The short endpoint summary `warehouse demo` prints, read from the published snapshot."""

from __future__ import annotations

from pathlib import Path

import duckdb


def endpoint_summary(database: Path) -> str:
    """Patients, populations and data quality per arm; the endpoints join as their marts land."""
    with duckdb.connect(str(Path(database).resolve()), read_only=True) as con:
        (export_id, cutoff, code_version) = con.execute(
            "select r.export_id, r.data_cutoff, r.code_version from audit.runs r "
            "where r.outcome = 'published' order by r.started_at desc limit 1"
        ).fetchone()
        arms = con.execute(
            """
            select TRT01P,
                   count(*) as enrolled,
                   count(*) filter (where FASFL = 'Y') as fas,
                   count(*) filter (where SAFFL = 'Y') as safety,
                   count(*) filter (where DTHFL = 'Y') as deaths,
                   round(median(AGE), 1) as median_age
            from adam.adsl group by TRT01P, TRT01PN order by TRT01PN
            """
        ).fetchall()
        quarantined, files = con.execute(
            "select count(distinct file || ':' || line), count(distinct file) from quality.quarantine where export_id = ?",
            [export_id],
        ).fetchone()
    lines = [
        f"Export {export_id}, data cut-off {cutoff}, code {code_version}",
        "",
        f"{'arm':<10}{'enrolled':>10}{'FAS':>6}{'safety':>8}{'deaths':>8}{'median age':>12}",
    ]
    for arm, enrolled, fas, safety, deaths, age in arms:
        lines.append(f"{arm:<10}{enrolled:>10}{fas:>6}{safety:>8}{deaths:>8}{age:>12}")
    lines += ["", f"Quarantined rows: {quarantined} in {files} file(s) (see quality.quarantine)"]
    return "\n".join(lines)
