"""The submission specification comes from the ADaM marts' dbt yml, and says what a submission needs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestration.publishing.submission.spec import (
    DATASETS,
    read_specification,
    specification_problems,
)


@pytest.fixture(scope="module")
def specification():
    return read_specification()


def test_the_adam_marts_specify_everything_a_submission_needs(specification):
    assert [d.name for d in specification] == list(DATASETS)
    assert specification_problems(specification) == []


def test_the_specification_is_the_yml(specification):
    adsl, adrs = specification[0], specification[1]
    assert (adsl.label, adsl.dataset_class, adsl.keys) == (
        "Subject-Level Analysis Dataset",
        "ADSL",
        ("STUDYID", "USUBJID"),
    )
    age = adsl.variable("AGE")
    assert (age.label, age.define_type, age.origin, age.source) == ("Age", "integer", "Predecessor", "DM.AGE")
    assert adsl.variable("TRTSDT").display_format == "DATE9."
    # a seed code list keeps its decodes; accepted values become a list of terms
    assert [(t.code, t.decode) for t in adsl.variable("SEX").codelist.terms] == [("M", "Male"), ("F", "Female")]
    assert [t.code for t in adsl.variable("FASFL").codelist.terms] == ["Y"]
    # a variable copied from ADSL is a predecessor and keeps ADSL's code list
    trt01p = adrs.variable("TRT01P")
    assert (trt01p.origin, trt01p.source, trt01p.codelist.name) == ("Predecessor", "ADSL.TRT01P", "ARM")
    assert adrs.value_level["AVALC"]["CRSP"].name == "NY"
    # the derivation text is the column's description
    assert adsl.variable("TRTSDT").description.startswith("Start of treatment. LEN+SIRT: the SIRT date")


def _manifest(tmp_path, columns: dict, meta: dict | None = None, tests: dict | None = None):
    """A one-model manifest (adsl) with the given columns, for the rules below."""
    nodes = {
        "model.p.adsl": {
            "resource_type": "model",
            "name": "adsl",
            "unique_id": "model.p.adsl",
            "description": "Subject level.",
            "config": {
                "meta": meta if meta is not None else {"label": "Subject-Level", "class": "ADSL", "keys": ["USUBJID"]}
            },
            "columns": {
                name: {"description": f"{name} derivation.", "data_type": "varchar", "config": {"meta": column}}
                for name, column in columns.items()
            },
        }
    }
    if tests:
        nodes["test.p.rules"] = {
            "resource_type": "test",
            "attached_node": "model.p.adsl",
            "test_metadata": {"name": "column_rules", "kwargs": tests},
        }
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"nodes": nodes, "vars": {}}))
    return read_specification(path, datasets=("adsl",))


def test_a_complete_model_has_no_problems(tmp_path):
    spec = _manifest(
        tmp_path, {"USUBJID": {"label": "Unique Subject Identifier"}, "SAFFL": {"label": "Safety", "codelist": "NY"}}
    )
    assert specification_problems(spec) == []


@pytest.mark.parametrize(
    ("columns", "tests", "problem"),
    [
        ({"USUBJID": {}}, None, "adam.adsl.USUBJID: no label"),
        ({"USUBJID": {"label": "x" * 41}}, None, "label over 40 characters (41)"),
        ({"USUBJID": {"label": "Id"}, "AVERYLONG": {"label": "Nine"}}, None, "AVERYLONG: name over 8 characters"),
        (
            {"USUBJID": {"label": "Id"}, "SAFFL": {"label": "Safety"}},
            None,
            "SAFFL: controlled variable without a code list",
        ),
        ({"USUBJID": {"label": "Id", "origin": "Predecessor"}}, None, "Predecessor origin without a source"),
        ({"USUBJID": {"label": "Id", "origin": "Collected"}}, None, "origin 'Collected' is not one of"),
    ],
)
def test_each_missing_piece_is_a_problem(tmp_path, columns, tests, problem):
    problems = specification_problems(_manifest(tmp_path, columns, tests=tests))
    assert any(problem in p for p in problems), problems


def test_at_the_boundaries(tmp_path):
    """40 characters and 8-character names pass; a tested code list counts as the column's code list."""
    spec = _manifest(
        tmp_path,
        {"USUBJID": {"label": "x" * 40}, "EIGHTCHR": {"label": "Eight"}, "SAFFL": {"label": "Safety"}},
        tests={"accepted_values": {"SAFFL": ["Y", "N"]}},
    )
    assert specification_problems(spec) == []
    assert [t.code for t in spec[0].variable("SAFFL").codelist.terms] == ["Y", "N"]


@pytest.mark.parametrize(
    ("meta", "problem"),
    [
        ({"class": "ADSL", "keys": ["USUBJID"]}, "no dataset label"),
        ({"label": "x" * 41, "class": "ADSL", "keys": ["USUBJID"]}, "dataset label over 40"),
        ({"label": "Subject", "class": "SDTM", "keys": ["USUBJID"]}, "class 'SDTM'"),
        ({"label": "Subject", "class": "ADSL"}, "no key variables"),
        ({"label": "Subject", "class": "ADSL", "keys": ["SUBJID"]}, "key variable SUBJID is not a column"),
    ],
)
def test_dataset_metadata_problems(tmp_path, meta, problem):
    problems = specification_problems(_manifest(tmp_path, {"USUBJID": {"label": "Id"}}, meta=meta))
    assert any(problem in p for p in problems), problems


def test_a_code_list_missing_from_the_seed_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"adsl.SEX: code list 'GENDER' is not in seeds/codelists.csv"):
        _manifest(tmp_path, {"SEX": {"label": "Sex", "codelist": "GENDER"}})


def test_a_variable_copied_from_adsl_keeps_its_label(specification):
    from dataclasses import replace

    adrs = specification[1]
    relabelled = replace(
        adrs,
        variables=tuple(replace(v, label="Analysis Start Date") if v.name == "STARTDT" else v for v in adrs.variables),
    )
    problems = specification_problems([specification[0], relabelled])
    assert problems == [
        "adam.adrs.STARTDT: label 'Analysis Start Date' differs from ADSL's 'Time-to-Event Origin Date for Subject' "
        "(a variable copied from ADSL keeps its label)"
    ]


PHARMAVERSE_COLUMNS = (
    Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "pharmaverse" / "columns.csv"
)
PHARMAVERSE_DATASETS = {"adsl": "adsl", "adrs": "adrs_onco", "adtte": "adtte_onco", "adtr": "adtr_onco", "adae": "adae"}


@pytest.mark.skipif(not PHARMAVERSE_COLUMNS.exists(), reason="the pharmaverse reference is not beside the repository")
def test_define_level_metadata_agrees_with_the_pharmaverse_reference_adam(specification):
    """Where the reference ADaM (pharmaverseadam) has the variable: same label (ignoring case) and
    same kind of type (text, number, date), except the differences listed here with their reason."""
    import pandas as pd

    reference = pd.read_csv(PHARMAVERSE_COLUMNS, keep_default_na=False)
    reference = reference[reference.layer == "adam"].set_index(["dataset", "column"])
    kinds = {"character": "text", "numeric": "number", "integer": "number", "Date": "date", "POSIXct": "datetime"}
    compared, differences = 0, set()
    for dataset in specification:
        if dataset.name not in PHARMAVERSE_DATASETS:
            continue
        for variable in dataset.variables:
            key = (PHARMAVERSE_DATASETS[dataset.name], variable.name)
            if key not in reference.index:
                continue
            compared += 1
            label, r_type = reference.loc[key, "label"], reference.loc[key, "r_type"]
            ours = "date" if variable.is_date else "text" if variable.is_character else "number"
            if label.lower() != variable.label.lower():
                differences.add((dataset.name, variable.name, "label", label))
            if kinds[r_type] != ours:
                differences.add((dataset.name, variable.name, "type", r_type))
    assert compared == 87
    assert differences == {
        ("adrs", "PARCAT2", "label", "Parameter Category 2"),  # ours says what the category is: the response source
        ("adtr", "TULOC", "label", "Location of the Tumor/Lesion"),
        ("adtr", "ANL01FL", "label", "Analysis Flag 01"),  # ours names the analysis it selects
        ("adae", "AOCCIFL", "label", "1st Max Sev./Int. Occurrence Flag"),  # ours is by CTCAE grade
        ("adae", "AESPID", "type", "character"),  # AESPID is a number in the EDC form
    }
