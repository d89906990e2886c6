"""The short endpoint summary `warehouse demo` prints, read from the published snapshot."""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import pandas as pd

from analysis.rates import clopper_pearson
from analysis.survival import kaplan_meier_summary


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
    ).fetchone()[0])


def _months(value: float) -> str:
    return "NR" if math.isnan(value) else f"{value:.1f}"


def endpoint_summary(database: Path) -> str:
    """Populations, response rates and survival medians per arm, and what data quality found."""
    with duckdb.connect(str(Path(database).resolve()), read_only=True) as con:
        export_id, cutoff, code_version, parameters = con.execute(
            "select export_id, data_cutoff, code_version, parameters from audit.runs "
            "where outcome = 'published' order by started_at desc limit 1"
        ).fetchone()
        days_per_month = float(json.loads(parameters).get("days_per_month", 30.4375))
        adsl = con.execute("select USUBJID, TRT01P, TRT01PN, FASFL, SAFFL, DTHFL from adam.adsl").df()
        adrs = con.execute(
            "select USUBJID, PARAMCD, AVALC from adam.adrs where PARAMCD in ('CRSP', 'CCB')"
        ).df() if _table_exists(con, "adam", "adrs") else None
        adtte = con.execute(
            "select USUBJID, PARAMCD, AVAL, CNSR from adam.adtte where PARAMCD in ('PFS', 'OS')"
        ).df() if _table_exists(con, "adam", "adtte") else None
        quarantined, files = con.execute(
            "select count(distinct file || ':' || line), count(distinct file) from quality.quarantine where export_id = ?",
            [export_id],
        ).fetchone()
        open_queries = con.execute(
            "select count(*) from quality.data_queries where STATUS = 'OPEN'"
        ).fetchone()[0] if _table_exists(con, "quality", "data_queries") else 0

    arms = adsl.sort_values("TRT01PN")["TRT01P"].unique().tolist()
    lines = [f"Export {export_id}, data cut-off {cutoff}, code {code_version}", ""]
    header = f"{'':<28}" + "".join(f"{arm:>22}" for arm in arms)
    lines.append(header)

    def row(label: str, values: list[str]) -> None:
        lines.append(f"{label:<28}" + "".join(f"{v:>22}" for v in values))

    by_arm = {arm: adsl[adsl.TRT01P == arm] for arm in arms}
    row("Enrolled (FAS)", [str(int((frame.FASFL == "Y").sum())) for frame in by_arm.values()])
    row("Treated (safety)", [str(int((frame.SAFFL == "Y").sum())) for frame in by_arm.values()])
    if adrs is not None:
        for paramcd, label in (("CRSP", "ORR, confirmed (95% CI)"), ("CCB", "DCR (95% CI)")):
            values = []
            for arm, frame in by_arm.items():
                subset = adrs[(adrs.PARAMCD == paramcd) & adrs.USUBJID.isin(frame.USUBJID)]
                rate = clopper_pearson(int((subset.AVALC == "Y").sum()), len(subset))
                values.append(f"{rate.rate:.1%} ({rate.lower:.1%}-{rate.upper:.1%})")
            row(label, values)
    if adtte is not None:
        for paramcd, label in (("PFS", "PFS median, months"), ("OS", "OS median, months")):
            fits = []
            for frame in by_arm.values():
                subset = adtte[(adtte.PARAMCD == paramcd) & adtte.USUBJID.isin(frame.USUBJID)]
                fits.append(kaplan_meier_summary(subset.AVAL / days_per_month, pd.Series(subset.CNSR == 0)))
            row(label, [f"{_months(km.median)} ({_months(km.median_lower)}-{_months(km.median_upper)})" for km in fits])
            row("  events / N", [f"{km.events} / {km.n}" for km in fits])
    lines += [
        "",
        f"Quarantined rows: {quarantined} in {files} file(s) (quality.quarantine)",
        f"Open data queries: {open_queries} (quality.data_queries)",
    ]
    return "\n".join(lines)
