"""Endpoint changes per patient: what moved in the derived results since the previous published
snapshot, and which of the patient's input records changed with it.

Compared, per patient and parameter (one row per changed value):

- ADSL: the key dates and flags (actual treatment, start and end of treatment, populations,
  end of treatment and of study, death, last known alive date);
- ADRS: BOR, CBOR, CRSP and CCB, their AVALC and ADT;
- ADTTE: PFS, OS, DOR and TTR, their AVAL, CNSR, ADT, EVNTDESC and CNSDTDSC;
- ADAE: the worst grade of the patient's treatment-emergent adverse events.

A parameter that appears (a DOR for a new confirmed responder) or disappears has an empty old or
new value. ``RECORD_CHANGES`` says which input records of the same patient changed in this export
(`imaging/lesions.csv: 3 added, 2 changed`), the pointer into ``quality.record_changes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.changes.records import already_published

PREVIOUS = "previous_snapshot"
ADSL_VARIABLES = (
    "TRT01A",
    "TRTSDT",
    "TRTEDT",
    "STARTDT",
    "FASFL",
    "SAFFL",
    "MDISFL",
    "RESPEVFL",
    "EOTSTT",
    "EOTDT",
    "DCTREAS",
    "EOSSTT",
    "EOSDT",
    "DCSREAS",
    "DTHFL",
    "DTHDT",
    "LSTALVDT",
)
ADRS_PARAMETERS = ("BOR", "CBOR", "CRSP", "CCB")
ADRS_VARIABLES = ("AVALC", "ADT")
ADTTE_PARAMETERS = ("PFS", "OS", "DOR", "TTR")
ADTTE_VARIABLES = ("AVAL", "CNSR", "ADT", "EVNTDESC", "CNSDTDSC")
WORST_GRADE = "WORST TEAE GRADE"

ENDPOINT_CHANGES_DDL = """
create schema if not exists quality;
create table if not exists quality.endpoint_changes (
    EXPORT_ID varchar not null,
    PREVIOUS_EXPORT_ID varchar not null,
    USUBJID varchar not null,
    SUBJID varchar,
    DATASET varchar not null,
    PARAMCD varchar,
    VARIABLE varchar not null,
    OLD_VALUE varchar,
    NEW_VALUE varchar,
    RECORD_CHANGES varchar
);
comment on table quality.endpoint_changes is 'Derived endpoint values that changed since the previous published snapshot, per patient';
"""


@dataclass(frozen=True)
class EndpointChanges:
    export_id: str
    previous_export_id: str | None
    rows: int
    patients: int
    by_parameter: dict[str, int]  # "ADRS CBOR" -> changed values
    reason: str = ""

    @property
    def compared(self) -> bool:
        return self.previous_export_id is not None


def _long(catalog: str) -> str:
    """Every compared value of one database as (USUBJID, SUBJID, DATASET, PARAMCD, VARIABLE, VALUE)."""
    adsl = " union all ".join(
        f"select USUBJID, SUBJID, 'ADSL' as DATASET, null as PARAMCD, '{v}' as VARIABLE, cast({v} as varchar) as VALUE "
        f"from {catalog}adam.adsl"
        for v in ADSL_VARIABLES
    )
    adrs = " union all ".join(
        f"select USUBJID, SUBJID, 'ADRS', PARAMCD, '{v}', cast({v} as varchar) from {catalog}adam.adrs "
        f"where PARAMCD in ({', '.join(repr(p) for p in ADRS_PARAMETERS)})"
        for v in ADRS_VARIABLES
    )
    adtte = " union all ".join(
        f"select USUBJID, SUBJID, 'ADTTE', PARAMCD, '{v}', cast({v} as varchar) from {catalog}adam.adtte "
        f"where PARAMCD in ({', '.join(repr(p) for p in ADTTE_PARAMETERS)})"
        for v in ADTTE_VARIABLES
    )
    adae = (
        f"select a.USUBJID, s.SUBJID, 'ADAE', '{WORST_GRADE}', 'AETOXGR', cast(max(a.AETOXGR) as varchar) "
        f"from {catalog}adam.adae as a join {catalog}adam.adsl as s using (USUBJID) "
        "where a.TRTEMFL = 'Y' group by a.USUBJID, s.SUBJID"
    )
    return f"{adsl} union all {adrs} union all {adtte} union all {adae}"


ENDPOINT_SQL = f"""
insert into quality.endpoint_changes
with new_values as ({_long("")}),
old_values as ({_long(PREVIOUS + ".")}),
changed as (
    select
        coalesce(n.USUBJID, o.USUBJID) as USUBJID,
        coalesce(n.SUBJID, o.SUBJID) as SUBJID,
        coalesce(n.DATASET, o.DATASET) as DATASET,
        coalesce(n.PARAMCD, o.PARAMCD) as PARAMCD,
        coalesce(n.VARIABLE, o.VARIABLE) as VARIABLE,
        o.VALUE as OLD_VALUE,
        n.VALUE as NEW_VALUE
    from new_values as n
    full join old_values as o
        on n.USUBJID = o.USUBJID and n.DATASET = o.DATASET and n.PARAMCD is not distinct from o.PARAMCD
        and n.VARIABLE = o.VARIABLE
    where n.VALUE is distinct from o.VALUE
),
record_summary as (
    select SUBJID, string_agg(FILE || ': ' || counts, '; ' order by FILE) as RECORD_CHANGES
    from (
        select SUBJID, FILE, string_agg(records || ' ' || CHANGE, ', ' order by CHANGE) as counts
        from (
            select SUBJID, FILE, CHANGE, count(distinct RECORD_KEY) as records
            from quality.record_changes
            where EXPORT_ID = $export_id and PREVIOUS_EXPORT_ID = $previous_export_id
            group by all
        )
        group by all
    )
    group by SUBJID
)
select $export_id, $previous_export_id, c.USUBJID, c.SUBJID, c.DATASET, c.PARAMCD, c.VARIABLE, c.OLD_VALUE,
    c.NEW_VALUE, r.RECORD_CHANGES
from changed as c
left join record_summary as r on r.SUBJID = c.SUBJID or r.SUBJID = c.USUBJID
order by c.USUBJID, c.DATASET, c.PARAMCD, c.VARIABLE
"""


def endpoint_changes(
    con: duckdb.DuckDBPyConnection, export_id: str, snapshot_database: Path | None, previous_export_id: str | None
) -> EndpointChanges:
    """Compare the new ADaM tables with the published snapshot's and record every changed value."""
    con.execute(ENDPOINT_CHANGES_DDL)
    if snapshot_database is None or previous_export_id is None or not snapshot_database.exists():
        return EndpointChanges(export_id, None, 0, 0, {}, "no export published before: nothing to compare with")
    if previous_export_id == export_id:
        reason = already_published(con, "endpoint_changes", "USUBJID", export_id, "patients' endpoints")
        return EndpointChanges(export_id, None, 0, 0, {}, reason)
    con.execute(f"attach '{snapshot_database}' as {PREVIOUS} (read_only)")
    try:
        con.execute("begin transaction")
        try:
            con.execute(
                "delete from quality.endpoint_changes where EXPORT_ID = ? and PREVIOUS_EXPORT_ID = ?",
                [export_id, previous_export_id],
            )
            con.execute(ENDPOINT_SQL, {"export_id": export_id, "previous_export_id": previous_export_id})
            con.execute("commit")
        except duckdb.Error as error:
            con.execute("rollback")
            # A snapshot built by older code may lack a table or column: say so, never fail the refresh.
            return EndpointChanges(
                export_id, None, 0, 0, {}, f"not compared with {previous_export_id}: {str(error).splitlines()[0]}"
            )
        rows, patients = con.execute(
            "select count(*), count(distinct USUBJID) from quality.endpoint_changes "
            "where EXPORT_ID = ? and PREVIOUS_EXPORT_ID = ?",
            [export_id, previous_export_id],
        ).fetchall()[0]
        by_parameter = dict(
            con.execute(
                "select DATASET || coalesce(' ' || PARAMCD, ''), count(*) from quality.endpoint_changes "
                "where EXPORT_ID = ? and PREVIOUS_EXPORT_ID = ? group by 1 order by 1",
                [export_id, previous_export_id],
            ).fetchall()
        )
    finally:
        con.execute(f"detach {PREVIOUS}")
    return EndpointChanges(export_id, previous_export_id, rows, patients, by_parameter)
