"""The endpoint summary `warehouse demo` prints: each N says which population and arm variable it counts."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from orchestration.loading.load import ensure_schemas
from orchestration.summary import endpoint_summary


def _database(path, adsl: pd.DataFrame):  # noqa: ANN001
    with duckdb.connect(str(path)) as con:
        ensure_schemas(con)
        con.execute(
            "insert into audit.runs (run_id, export_id, data_cutoff, profile, parameters, code_version, started_at, outcome) "
            "values ('r1', 'E1', ?, 'lensirt', '{}', '0.1.0', ?, 'published')",
            [dt.date(2025, 6, 30), dt.datetime(2025, 7, 1, tzinfo=dt.UTC)],
        )
        con.execute("create schema adam")
        con.register("frame", adsl)
        con.execute("create table adam.adsl as select * from frame")
    return path


def _adsl(switched: int, untreated: int) -> pd.DataFrame:
    """Six LEN+SIRT and five LEN patients; some LEN+SIRT never had SIRT (actual LEN), some were never treated."""
    rows = []
    for i in range(6):
        treated = i >= untreated
        actual = "LEN" if untreated <= i < untreated + switched else "LEN+SIRT"
        rows.append(
            dict(
                USUBJID=f"S-1{i}",
                TRT01P="LEN+SIRT",
                TRT01PN=1,
                TRT01A=actual if treated else None,
                FASFL="Y",
                SAFFL="Y" if treated else "N",
                DTHFL="N",
            )
        )
    rows += [
        dict(USUBJID=f"S-2{i}", TRT01P="LEN", TRT01PN=2, TRT01A="LEN", FASFL="Y", SAFFL="Y", DTHFL="N")
        for i in range(5)
    ]
    return pd.DataFrame(rows)


def _row(text: str, label: str) -> list[str]:
    (line,) = [line for line in text.splitlines() if line.startswith(label)]
    return line[len(label) :].split()


def test_safety_counts_by_actual_treatment_and_fas_by_planned_arm(tmp_path):
    text = endpoint_summary(_database(tmp_path / "w.duckdb", _adsl(switched=2, untreated=1)))
    assert _row(text, "FAS, by planned arm") == ["6", "5"]
    assert _row(text, "Safety, by actual treatment") == ["3", "7"]  # 6 - 1 untreated - 2 analysed as LEN; 5 + 2
    assert "(SAFFL = Y) by actual treatment (TRT01A)" in text and "(FASFL = Y) by planned arm (TRT01P)" in text
    assert "2 planned LEN+SIRT counted as LEN; 1 planned LEN+SIRT not treated" in text
    assert "Treated (safety)" not in text


def test_when_everyone_got_the_planned_treatment_the_note_names_no_one(tmp_path):
    text = endpoint_summary(_database(tmp_path / "w.duckdb", _adsl(switched=0, untreated=0)))
    assert _row(text, "Safety, by actual treatment") == ["6", "5"]
    assert "counted as" not in text and "not treated" not in text
    assert "the report's adverse event and exposure tables." in text
