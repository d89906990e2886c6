"""Small hand-made tables in the shape of the reporting interface, for the report tests."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from analysis.report import Provenance, ReportData
from tests.analysis import tlg_study

ARMS = ("LEN+SIRT", "LEN")
PROVENANCE = Provenance(
    study="LENSIRT-01",
    export_id="EXPORT-2025-06-30",
    data_cutoff="2025-06-30",
    code_version="0.1.0+gtest",
    run_id="run-1234",
    generated_at="2025-07-01 02:10 UTC",
    profile="lensirt",
)


def _patients() -> pd.DataFrame:
    rows = []
    for arm_n, arm in enumerate(ARMS, start=1):
        for i in range(1, 13):
            start = date(2023, 1, 1) + timedelta(days=17 * i + arm_n)
            treated = 40 + 37 * i * (1.4 if arm_n == 1 else 1.0)
            end = start + timedelta(days=int(treated))
            dead = i % 4 == 0
            rows.append(
                dict(
                    USUBJID=f"LENSIRT-{arm_n}0{i:02d}",
                    SUBJID=f"{arm_n}0{i:02d}",
                    TRT01P=arm,
                    TRT01PN=arm_n,
                    TRT01A=arm,
                    FASFL="Y",
                    SAFFL="Y",
                    STARTDT=start,
                    TRTSDT=start,
                    TRTEDT=None if i == 12 else end,
                    EOTSTT="ONGOING" if i == 12 else "DISCONTINUED",
                    DTHDT=end + timedelta(days=60) if dead else None,
                    LSTALVDT=end + timedelta(days=60 if dead else 120),
                    DCUTDT=date(2025, 6, 30),
                )
            )
    frame = pd.DataFrame(rows)
    for column in ("STARTDT", "TRTSDT", "TRTEDT", "DTHDT", "LSTALVDT", "DCUTDT"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def _km(arm: str, scale: float) -> list[dict]:
    rows, at_risk, survival = [], 12, 1.0
    rows.append(
        dict(
            PARAMCD="", TRT01P=arm, TIME_MONTHS=0.0, N_AT_RISK=12, EVENTS=0, CENSORED=0, SURVIVAL=1.0, LCL=1.0, UCL=1.0
        )
    )
    for i in range(1, 13):
        event = i % 3 != 0
        if event:
            survival *= (at_risk - 1) / at_risk
        rows.append(
            dict(
                PARAMCD="",
                TRT01P=arm,
                TIME_MONTHS=round(i * scale, 2),
                N_AT_RISK=at_risk,
                EVENTS=int(event),
                CENSORED=int(not event),
                SURVIVAL=survival,
                LCL=max(survival - 0.25, 0),
                UCL=min(survival + 0.2, 1),
            )
        )
        at_risk -= 1
    return rows


def sample_tables() -> dict[str, pd.DataFrame]:
    adsl = _patients()
    adrs = []
    adtr = []
    for index, patient in enumerate(adsl.itertuples()):
        cbor = ["PR", "SD", "PD", "CR", "SD", "NE"][index % 6]
        adrs.append(dict(USUBJID=patient.USUBJID, PARAMCD="CBOR", AVALC=cbor, ADT=None, ADY=None))
        if cbor in ("PR", "CR"):
            for week in (6, 12):
                adrs.append(
                    dict(
                        USUBJID=patient.USUBJID,
                        PARAMCD="OVR",
                        AVALC=cbor,
                        ADT=patient.STARTDT + timedelta(weeks=week),
                        ADY=week * 7 + 1,
                    )
                )
        if cbor == "PD":
            adrs.append(
                dict(
                    USUBJID=patient.USUBJID, PARAMCD="OVR", AVALC="PD", ADT=patient.STARTDT + timedelta(weeks=6), ADY=43
                )
            )
            adrs.append(
                dict(USUBJID=patient.USUBJID, PARAMCD="PD", AVALC="Y", ADT=patient.STARTDT + timedelta(weeks=6), ADY=43)
            )
        if index == 2:
            adrs.append(
                dict(
                    USUBJID=patient.USUBJID,
                    PARAMCD="DEATH",
                    AVALC="Y",
                    ADT=patient.STARTDT + timedelta(weeks=20),
                    ADY=141,
                )
            )
        pchg = {"CR": -100.0, "PR": -45.0 - index, "SD": 5.0 - 2 * index, "PD": 35.0 + index, "NE": 150.0}[cbor]
        if index != 5:
            adtr.append(dict(USUBJID=patient.USUBJID, TRT01P=patient.TRT01P, PCHG=pchg))
    km = []
    for paramcd, scale in (("PFS", 1.0), ("OS", 2.5), ("DOR", 1.5)):
        for arm, arm_scale in zip(ARMS, (1.3, 1.0)):
            km += [dict(row, PARAMCD=paramcd) for row in _km(arm, scale * arm_scale)]
    baseline = []
    for arm in ARMS:
        baseline += [
            dict(
                VARIABLE="AGE",
                LABEL="Age, years",
                CATEGORY=None,
                TRT01P=arm,
                N_ARM=12,
                COUNT=None,
                PCT=None,
                MEDIAN=64.0,
                Q1=57.0,
                Q3=71.0,
                DISPLAY="64 (57-71)",
                SMD=0.05,
            ),
            dict(
                VARIABLE="ECOGBL",
                LABEL="ECOG performance status",
                CATEGORY="0",
                TRT01P=arm,
                N_ARM=12,
                COUNT=7,
                PCT=58.3,
                MEDIAN=None,
                Q1=None,
                Q3=None,
                DISPLAY="7 (58.3%)",
                SMD=0.21,
            ),
            dict(
                VARIABLE="ECOGBL",
                LABEL="ECOG performance status",
                CATEGORY="1",
                TRT01P=arm,
                N_ARM=12,
                COUNT=5,
                PCT=41.7,
                MEDIAN=None,
                Q1=None,
                Q3=None,
                DISPLAY="5 (41.7%)",
                SMD=0.21,
            ),
        ]
    rates = []
    for paramcd, responders in (("CRSP", (6, 3)), ("CCB", (10, 7)), ("RSP", (7, 4))):
        for arm, n in zip(ARMS, responders):
            rates.append(
                dict(
                    PARAMCD=paramcd,
                    TRT01P=arm,
                    N=12,
                    RESPONDERS=n,
                    RATE_PCT=100 * n / 12,
                    LCL_PCT=100 * n / 12 - 25,
                    UCL_PCT=100 * n / 12 + 22,
                )
            )
    differences = [
        dict(PARAMCD=p, METHOD=m, DIFF_PCT=d, LCL_PCT=d - 30, UCL_PCT=d + 28, P_VALUE=pv)
        for p, d in (("CRSP", 25.0), ("CCB", 25.0), ("RSP", 25.0))
        for m, pv in (("unadjusted", 0.035), ("iptw", 0.08))
    ]
    summary = [
        dict(
            PARAMCD=p,
            TRT01P=arm,
            N=12,
            EVENTS=8,
            CENSORED=4,
            MEDIAN_MONTHS=m,
            LCL_MONTHS=m - 2,
            UCL_MONTHS=None if arm == "LEN+SIRT" else m + 4,
            Q1_MONTHS=m / 2,
            Q3_MONTHS=None,
            FOLLOWUP_MEDIAN_MONTHS=14.2,
        )
        for p, base in (("PFS", 6.0), ("OS", 14.0), ("DOR", 8.0))
        for arm, m in zip(ARMS, (base * 1.5, base))
    ]
    landmarks = [
        dict(PARAMCD=p, TRT01P=arm, MONTHS=m, SURVIVAL=s, LCL=s - 0.2, UCL=min(s + 0.15, 1.0), N_AT_RISK=12 - m // 3)
        for p in ("PFS", "OS")
        for arm in ARMS
        for m, s in ((6, 0.7), (12, 0.45), (24, 0.2), (36, 0.1))
    ]
    comparisons = [
        dict(PARAMCD=p, METHOD=m, HR=hr, LCL=hr / 1.8, UCL=hr * 1.8, P_VALUE=pv)
        for p, hr in (("PFS", 0.62), ("OS", 0.7), ("DOR", 0.85))
        for m, pv in (("unadjusted", 0.04), ("iptw", 0.09))
    ]
    ttr = [
        dict(TRT01P=arm, N=n, MEDIAN_MONTHS=2.8, Q1_MONTHS=1.4, Q3_MONTHS=4.2, MIN_MONTHS=1.3, MAX_MONTHS=8.1)
        for arm, n in zip(ARMS, (6, 3))
    ]
    balance = [
        dict(COVARIATE=c, SMD_UNADJUSTED=u, SMD_IPTW=w, BALANCED=abs(w) < 0.1)
        for c, u, w in (("AGE", 0.05, 0.01), ("ECOGBL", 0.21, 0.04), ("MVIFL", -0.35, -0.14), ("AFP400FL", 0.18, 0.02))
    ]
    ae_overview = [
        dict(ORDER_N=i, CATEGORY=c, TRT01A=arm, N_ARM=12, PATIENTS=p, PCT=100 * p / 12)
        for i, c in enumerate(("Any TEAE", "Grade >= 3 TEAE", "Serious TEAE", "Fatal TEAE"), start=1)
        for arm, p in zip(ARMS, (12 - i, 10 - i))
    ]
    ae_terms = [
        dict(
            AESOC=soc,
            AEDECOD=pt,
            TRT01A=arm,
            N_ARM=12,
            PATIENTS_ANY=a,
            PCT_ANY=100 * a / 12,
            PATIENTS_GE3=g,
            PCT_GE3=100 * g / 12,
            WORST_GRADE=w,
        )
        for soc, pt, a, g, w in (
            ("Gastrointestinal disorders", None, 9, 3, 3),
            ("Gastrointestinal disorders", "Diarrhoea", 8, 2, 3),
            ("Gastrointestinal disorders", "Nausea & vomiting", 4, 1, 3),
            ("Vascular disorders", None, 6, 2, 4),
            ("Vascular disorders", "Hypertension", 6, 2, 4),
        )
        for arm in ARMS
    ]
    exposure = [
        dict(
            PARAMCD="TRTDURM",
            PARAM="Lenvatinib duration (months)",
            TRT01A=arm,
            N=12,
            MEDIAN=7.2,
            Q1=4.1,
            Q3=11.0,
            MIN=0.9,
            MAX=24.3,
            COUNT=None,
            PCT=None,
        )
        for arm in ARMS
    ]
    exposure += [
        dict(
            PARAMCD="REDUCED",
            PARAM="Dose reduced",
            TRT01A=arm,
            N=12,
            MEDIAN=None,
            Q1=None,
            Q3=None,
            MIN=None,
            MAX=None,
            COUNT=5,
            PCT=41.7,
        )
        for arm in ARMS
    ]
    quarantine = pd.DataFrame(
        [
            dict(
                export_id=PROVENANCE.export_id,
                file="edc/ae.csv",
                line=12,
                column_name="AESTDAT",
                value="31 FEB 2024",
                rule="invalid_date",
                message="AESTDAT 31 FEB 2024 is not a date",
            ),
            dict(
                export_id=PROVENANCE.export_id,
                file="edc/ae.csv",
                line=40,
                column_name="AETOXGR",
                value="7",
                rule="out_of_range",
                message="AETOXGR 7 is outside 1-5",
            ),
        ]
    )
    reconciliation = pd.DataFrame(
        [
            dict(
                file="edc/ae.csv",
                export_id=PROVENANCE.export_id,
                raw_rows=200,
                staged_rows=198,
                quarantined_rows=2,
                reconciled=True,
            ),
            dict(
                file="edc/dm.csv",
                export_id=PROVENANCE.export_id,
                raw_rows=24,
                staged_rows=24,
                quarantined_rows=0,
                reconciled=True,
            ),
        ]
    )
    queries = pd.DataFrame(
        [
            dict(
                QUERY_ID=f"Q{i}",
                SUBJID="101",
                USUBJID="LENSIRT-101",
                DOMAIN="AE",
                RULE="AE_END_BEFORE_START",
                MESSAGE="end before start",
                QUERY_DATE=date(2025, 6, 30),
                RECORD_KEY=f"AE {i}",
                FIRST_SEEN_EXPORT="E0",
                LAST_SEEN_EXPORT=PROVENANCE.export_id if i < 3 else "E0",
                STATUS=("NEW", "OPEN", "REOPENED", "RESOLVED")[i],
                RESOLVED_EXPORT=PROVENANCE.export_id if i == 3 else None,
            )
            for i in range(4)
        ]
    )
    record_changes = pd.DataFrame(
        [
            dict(PREVIOUS_EXPORT_ID="E0", FILE="edc/ae.csv", CHANGE="added", RECORDS=2),
            dict(PREVIOUS_EXPORT_ID="E0", FILE="edc/ae.csv", CHANGE="changed", RECORDS=1),
            dict(PREVIOUS_EXPORT_ID="E0", FILE="imaging/timepoints.csv", CHANGE="added", RECORDS=1),
        ]
    )
    endpoint_changes = pd.DataFrame(
        [
            dict(
                EXPORT_ID=PROVENANCE.export_id,
                PREVIOUS_EXPORT_ID="E0",
                USUBJID="LENSIRT-101",
                SUBJID="101",
                DATASET="ADRS",
                PARAMCD="CBOR",
                VARIABLE=variable,
                OLD_VALUE=old,
                NEW_VALUE=new,
                RECORD_CHANGES="imaging/timepoints.csv: 1 added",
            )
            for variable, old, new in (("ADT", "2023-01-01", "2023-03-01"), ("AVALC", "PR", "CR"))
        ]
    )
    discrepancies = pd.DataFrame(
        [dict(USUBJID="LENSIRT-101", ADT=date(2023, 3, 1), OVR_COMPUTED="PR", OVR_READER="SD")]
    )
    checks = pd.DataFrame(
        [
            dict(
                asset_key=f"staging/stg_edc__{name}",
                check_name=f"not_null_stg_edc__{name}_SUBJID",
                outcome="passed",
                passed=True,
                severity="ERROR",
                blocking=True,
                description=None,
                failing_rows=None,
            )
            for name in ("dm", "ae", "ex")
        ]
        + [
            dict(
                asset_key="reporting/balance",
                check_name="covariates_balanced",
                outcome="failed",
                passed=False,
                severity="WARN",
                blocking=False,
                description="1 covariate(s) with |SMD| >= 0.1 after weighting: MVIFL",
                failing_rows=None,
            ),
            dict(
                asset_key="adam/adtte",
                check_name="expression_is_true_adtte_ADT_on_or_after_STARTDT_and_a_long_unbroken_test_name",
                outcome="failed",
                passed=False,
                severity="ERROR",
                blocking=True,
                description="dbt test failed: " + "ADT before STARTDT " * 12,
                failing_rows="14 failing rows: "
                + "; ".join(f"USUBJID=LENSIRT-1{i:02d}, PARAMCD=PFS, ADT=2024-01-0{i}" for i in range(1, 10)),
            ),
        ]
    ).assign(run_id=PROVENANCE.run_id, export_id=PROVENANCE.export_id)
    return {
        "adsl": adsl,
        "adrs": pd.DataFrame(adrs),
        "adtr": pd.DataFrame(adtr),
        "response_rates": pd.DataFrame(rates),
        "response_differences": pd.DataFrame(differences),
        "tte_summary": pd.DataFrame(summary),
        "tte_landmarks": pd.DataFrame(landmarks),
        "tte_comparisons": pd.DataFrame(comparisons),
        "km_curves": pd.DataFrame(km),
        "ttr_summary": pd.DataFrame(ttr),
        "baseline_characteristics": pd.DataFrame(baseline),
        "balance": pd.DataFrame(balance),
        "ae_overview": pd.DataFrame(ae_overview),
        "ae_by_soc_pt": pd.DataFrame(ae_terms),
        "exposure_summary": pd.DataFrame(exposure),
        "quarantine": quarantine,
        "row_reconciliation": reconciliation,
        "data_queries": queries,
        "record_changes": record_changes,
        "endpoint_changes": endpoint_changes,
        "response_discrepancies": discrepancies,
        "check_results": checks,
        # The CSR tables of the hand-made study of tests/analysis/tlg_study.py.
        **tlg_study.tables(),
    }


def sample_report_data(missing: tuple[str, ...] = ()) -> ReportData:
    tables = sample_tables()
    for name in missing:
        tables[name] = None
    return ReportData(PROVENANCE, tables)
