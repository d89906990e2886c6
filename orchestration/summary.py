"""The short endpoint summary `warehouse demo` prints, read from the published snapshot."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
        ).fetchone()[0]
    )


def _months(value: float | None) -> str:
    return "NR" if value is None or math.isnan(value) else f"{value:.1f}"


def endpoint_summary(database: Path) -> str:
    """Populations, response rates and survival medians per arm, and what data quality found."""
    with duckdb.connect(str(Path(database).resolve()), read_only=True) as con:
        export_id, cutoff, code_version = con.execute(
            "select export_id, data_cutoff, code_version from audit.runs "
            "where outcome = 'published' order by started_at desc limit 1"
        ).fetchone()
        adsl = con.execute("select USUBJID, TRT01P, TRT01PN, TRT01A, FASFL, SAFFL, DTHFL from adam.adsl").df()
        # The endpoint figures are the published reporting tables, never recomputed here.
        rates = (
            con.execute("select * from reporting.response_rates where PARAMCD in ('CRSP', 'CCB')").df()
            if _table_exists(con, "reporting", "response_rates")
            else None
        )
        survival = (
            con.execute("select * from reporting.tte_summary where PARAMCD in ('PFS', 'OS')").df()
            if _table_exists(con, "reporting", "tte_summary")
            else None
        )
        quarantined, files = con.execute(
            "select count(distinct file || ':' || line), count(distinct file) from quality.quarantine where export_id = ?",
            [export_id],
        ).fetchone()
        open_queries = (
            con.execute(
                "select count(*) from quality.data_queries where STATUS in ('NEW', 'OPEN', 'REOPENED')"
            ).fetchone()[0]
            if _table_exists(con, "quality", "data_queries")
            else 0
        )

    arms = adsl.sort_values("TRT01PN")["TRT01P"].unique().tolist()
    lines = [f"Export {export_id}, data cut-off {cutoff}, code {code_version}", ""]
    header = f"{'':<30}" + "".join(f"{arm:>22}" for arm in arms)
    lines.append(header)

    def row(label: str, values: list[str]) -> None:
        lines.append(f"{label:<30}" + "".join(f"{v:>22}" for v in values))

    # Each N names its population and arm variable, as the report does (SPEC section 5: FAS by
    # planned arm, safety by actual treatment), so the two agree.
    fas, safety = adsl[adsl.FASFL == "Y"], adsl[adsl.SAFFL == "Y"]
    row("FAS, by planned arm", [str(int((fas.TRT01P == arm).sum())) for arm in arms])
    row("Safety, by actual treatment", [str(int((safety.TRT01A == arm).sum())) for arm in arms])
    if rates is not None:
        for paramcd, label in (("CRSP", "ORR, confirmed (95% CI)"), ("CCB", "DCR (95% CI)")):
            values = []
            for arm in arms:
                rate = rates[(rates.PARAMCD == paramcd) & (rates.TRT01P == arm)].iloc[0]
                values.append(f"{rate.RATE_PCT:.1f}% ({rate.LCL_PCT:.1f}%-{rate.UCL_PCT:.1f}%)")
            row(label, values)
    if survival is not None:
        for paramcd, label in (("PFS", "PFS median, months"), ("OS", "OS median, months")):
            fits = [survival[(survival.PARAMCD == paramcd) & (survival.TRT01P == arm)].iloc[0] for arm in arms]
            row(
                label,
                [f"{_months(km.MEDIAN_MONTHS)} ({_months(km.LCL_MONTHS)}-{_months(km.UCL_MONTHS)})" for km in fits],
            )
            row("  events / N", [f"{km.EVENTS} / {km.N}" for km in fits])
    # How the planned arms become the safety columns: patients analysed under another treatment, and
    # patients never treated (not in the safety population).
    moves = [
        f"{n} planned {planned} counted as {actual}"
        for (planned, actual), n in safety[safety.TRT01A != safety.TRT01P].groupby(["TRT01P", "TRT01A"]).size().items()
    ]
    moves += [
        f"{n} planned {planned} not treated" for planned, n in fas[fas.SAFFL != "Y"].groupby("TRT01P").size().items()
    ]
    lines += [
        "",
        "FAS: every enrolled patient (FASFL = Y) by planned arm (TRT01P); the efficacy rows count the FAS.",
        "Safety: patients who received any study treatment (SAFFL = Y) by actual treatment (TRT01A), as in",
        "the report's adverse event and exposure tables" + (f" ({'; '.join(moves)})." if moves else "."),
        f"Quarantined rows: {quarantined} in {files} file(s) (quality.quarantine)",
        f"Open data queries: {open_queries} (quality.data_queries)",
    ]
    return "\n".join(lines)
