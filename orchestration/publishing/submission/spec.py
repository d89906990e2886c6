"""The submission specification, read from the dbt yml of the ADaM marts (one metadata source).

Everything a define.xml, an XPORT file or a Dataset-JSON file needs about a dataset or a variable
is written once, in `dbt_project/models/marts/adam/<dataset>.yml`, and read here from dbt's parsed
manifest (`target/manifest.json`, which every refresh parses anyway):

- dataset (the model's `config.meta`): `label` (at most 40 characters), `class` (`ADSL`, `BDS`,
  `OCCDS`), `subclass` (`TIME-TO-EVENT`), `keys` (the variables that identify a record, in sort
  order) and `value_level` (for BDS: per variable, the code list its value has for each PARAMCD);
- variable (the column's `config.meta`): `label`, `origin` (`Derived` unless stated:
  `Predecessor` with `source`, `Assigned`), `codelist` and `length`;
- the variable's type is its contract `data_type`, its derivation text its `description`;
- code lists: `codelist: NAME` is the seed code list of that name (`seeds/codelists.csv`, codes
  and decodes); `codelist: [A, B]` lists the terms; `codelist: data` takes the terms from the
  published values (for PARAM); without `codelist`, the column's dbt tests supply one
  (`in_codelist` names a seed list, `accepted_values` lists the terms).

The length of a character variable is, unless `length` is given, the longest value in the
published data (at least 1): what the FDA's technical conformance guide asks for. Numeric
variables are 8 bytes. Dates are SAS numeric dates shown as `DATE9.`.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestration.loading.contract import CODELISTS_CSV, DBT_PROJECT_DIR
from orchestration.settings import dbt_project_vars

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
DATASETS = ("adsl", "adrs", "adtte", "adtr", "adae", "adex")
CLASSES = {
    "ADSL": "SUBJECT LEVEL ANALYSIS DATASET",
    "BDS": "BASIC DATA STRUCTURE",
    "OCCDS": "OCCURRENCE DATA STRUCTURE",
}
ORIGINS = ("Derived", "Assigned", "Predecessor")
DATE_FORMAT = "DATE9."
# Variables whose values must come from a code list (ADaM IG: flags, imputation flags, parameters).
CONTROLLED = re.compile(r"(FL|DTF|TMF)$|^(PARAMCD|PARAM|AVALU|PARCAT\d|.*STT)$")
# dbt vars written into accepted values (`{{ var('missed_assessments') }}`).
_VAR = re.compile(r"\{\{\s*var\(\s*['\"](\w+)['\"]\s*\)\s*\}\}")


@dataclass(frozen=True)
class Term:
    code: str
    decode: str | None = None


@dataclass(frozen=True)
class CodeList:
    """Name (`NY`, `ADSL.FASFL`), its terms, or `from_data` when the terms are the published values."""

    name: str
    terms: tuple[Term, ...] = ()
    from_data: bool = False

    @property
    def oid(self) -> str:
        return "CL." + re.sub(r"[^A-Za-z0-9._-]", "_", self.name)


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    data_type: str  # the contract type: varchar, integer, double, date, timestamp, boolean
    description: str
    origin: str
    source: str | None = None
    codelist: CodeList | None = None
    length: int | None = None

    @property
    def is_character(self) -> bool:
        return self.data_type in ("varchar", "text", "string")

    @property
    def is_date(self) -> bool:
        return self.data_type == "date"

    @property
    def is_datetime(self) -> bool:
        return self.data_type.startswith("timestamp")

    @property
    def display_format(self) -> str | None:
        if self.is_date:
            return DATE_FORMAT
        if self.is_datetime:
            return "DATETIME20."
        return None

    @property
    def define_type(self) -> str:
        """Define-XML DataType: SAS numeric dates are integers with a date display format."""
        if self.is_character:
            return "text"
        if self.data_type in ("double", "float", "decimal", "real"):
            return "float"
        return "integer"

    @property
    def controlled(self) -> bool:
        return bool(CONTROLLED.search(self.name))


@dataclass(frozen=True)
class Dataset:
    name: str  # lower case, the mart's name
    label: str
    dataset_class: str  # ADSL, BDS, OCCDS
    keys: tuple[str, ...]
    description: str
    variables: tuple[Variable, ...]
    subclass: str | None = None
    # BDS value-level metadata: variable -> PARAMCD -> the code list of its values for that parameter
    value_level: dict[str, dict[str, CodeList | None]] = field(default_factory=dict)

    @property
    def upper(self) -> str:
        return self.name.upper()

    def variable(self, name: str) -> Variable:
        return next(v for v in self.variables if v.name == name)

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.variables]


def read_seed_codelists(path: Path = CODELISTS_CSV) -> dict[str, CodeList]:
    """The seed's code lists with their decodes, terms in display order."""
    rows: dict[str, list[tuple[int, Term]]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            rows.setdefault(row["codelist"], []).append((int(row["order_n"]), Term(row["code"], row["decode"])))
    return {
        name: CodeList(name, tuple(term for _, term in sorted(terms, key=lambda t: t[0])))
        for name, terms in rows.items()
    }


# Code lists that hold whatever the input: the arms are the study's, Y/N is Y/N.
STUDY_WIDE = ("ARM", "NY")


def study_codelists(seeds: dict[str, CodeList], dbt_vars: dict[str, Any]) -> dict[str, CodeList]:
    """The seed code lists as this study applies them, as the dbt `in_codelist` test does: the arms
    are var arms (decoded where the seed knows them); SDTM input (var input_source = sdtm) carries
    the sender's terminology, so its other code lists are the values published (`from_data`)."""
    studied = dict(seeds)
    if dbt_vars.get("arms"):
        decodes = {term.code: term.decode for term in seeds.get("ARM", CodeList("ARM")).terms}
        studied["ARM"] = CodeList("ARM", tuple(Term(str(arm), decodes.get(str(arm))) for arm in dbt_vars["arms"]))
    if dbt_vars.get("input_source") == "sdtm":
        for name, codelist in seeds.items():
            if name not in STUDY_WIDE:
                studied[name] = CodeList(codelist.name, from_data=True)
    return studied


def _per_column(codelist: CodeList, dataset: str, column: str) -> CodeList:
    """A data-driven code list is the column's own (its terms are that column's values)."""
    return CodeList(f"{dataset.upper()}.{column}", from_data=True) if codelist.from_data else codelist


def _render(value: Any, dbt_vars: dict[str, Any]) -> str:
    return _VAR.sub(lambda match: str(dbt_vars.get(match.group(1), match.group(0))), str(value))


def _tested_codelists(
    manifest: dict[str, Any], unique_id: str, dataset: str, seeds: dict[str, CodeList], dbt_vars: dict[str, Any]
) -> dict[str, CodeList]:
    """Code lists the model's dbt tests already enforce: `column_rules` (in_codelist, accepted_values)
    and column `accepted_values` tests."""
    found: dict[str, CodeList] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or node.get("attached_node") != unique_id:
            continue
        test = node.get("test_metadata") or {}
        kwargs = test.get("kwargs") or {}
        if test.get("name") == "accepted_values" and node.get("column_name"):
            column = node["column_name"]
            found[column] = CodeList(
                f"{dataset.upper()}.{column}", tuple(Term(_render(v, dbt_vars)) for v in kwargs["values"])
            )
        if test.get("name") == "column_rules":
            for column, values in (kwargs.get("accepted_values") or {}).items():
                found[column] = CodeList(
                    f"{dataset.upper()}.{column}", tuple(Term(_render(v, dbt_vars)) for v in values)
                )
            for column, name in (kwargs.get("in_codelist") or {}).items():
                found[column] = _per_column(seeds[name], dataset, column)
    return found


def _codelist(declared: Any, dataset: str, column: str, seeds: dict[str, CodeList]) -> CodeList | None:
    if declared is None:
        return None
    if declared == "data":
        return CodeList(f"{dataset.upper()}.{column}", from_data=True)
    if isinstance(declared, list):
        return CodeList(f"{dataset.upper()}.{column}", tuple(Term(str(v)) for v in declared))
    if declared not in seeds:
        raise SpecificationError(f"{dataset}.{column}: code list {declared!r} is not in seeds/codelists.csv")
    return _per_column(seeds[declared], dataset, column)


class SpecificationError(ValueError):
    """The yml does not say something the submission needs (which model, which column, what)."""


def read_specification(
    manifest_path: Path = MANIFEST,
    dbt_vars: dict[str, Any] | None = None,
    datasets: tuple[str, ...] = DATASETS,
    seeds_path: Path = CODELISTS_CSV,
) -> list[Dataset]:
    """Every ADaM dataset's specification, in submission order, from the parsed dbt manifest."""
    manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    dbt_vars = {**dbt_project_vars(), **(manifest.get("vars") or {}), **(dbt_vars or {})}
    seeds = study_codelists(read_seed_codelists(seeds_path), dbt_vars)
    models = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["name"] in datasets
    }
    adsl_columns = set((models.get("adsl") or {}).get("columns", {}))
    adsl_codelists: dict[str, CodeList] = {}  # a variable copied from ADSL keeps ADSL's code list
    specification = []
    for name in datasets:
        if name not in models:
            raise SpecificationError(f"adam.{name}: no such model in the dbt manifest {manifest_path}")
        node = models[name]
        meta = node["config"].get("meta") or {}
        tested = _tested_codelists(manifest, node["unique_id"], name, seeds, dbt_vars)
        variables = []
        for column, info in node["columns"].items():
            column_meta = {**(info.get("meta") or {}), **((info.get("config") or {}).get("meta") or {})}
            origin = column_meta.get("origin")
            source = column_meta.get("source")
            if origin is None and name != "adsl" and column in adsl_columns:
                origin, source = "Predecessor", f"ADSL.{column}"
            variables.append(
                Variable(
                    name=column,
                    label=str(column_meta.get("label") or ""),
                    data_type=(info.get("data_type") or "").lower(),
                    description=" ".join((info.get("description") or "").split()),
                    origin=origin or "Derived",
                    source=source,
                    codelist=_codelist(column_meta.get("codelist"), name, column, seeds)
                    or tested.get(column)
                    or (adsl_codelists.get(column) if source == f"ADSL.{column}" else None),
                    length=column_meta.get("length"),
                )
            )
        if name == "adsl":
            adsl_codelists = {v.name: v.codelist for v in variables if v.codelist is not None}
        specification.append(
            Dataset(
                name=name,
                label=str(meta.get("label") or ""),
                dataset_class=str(meta.get("class") or ""),
                subclass=meta.get("subclass"),
                keys=tuple(meta.get("keys") or ()),
                description=" ".join((node.get("description") or "").split()),
                variables=tuple(variables),
                value_level={
                    column: {
                        code: _codelist(declared, name, f"{column}.{code}", seeds)
                        for code, declared in by_parameter.items()
                    }
                    for column, by_parameter in (meta.get("value_level") or {}).items()
                },
            )
        )
    return specification


def specification_problems(specification: list[Dataset]) -> list[str]:
    """What the yml still lacks for a submission, one sentence per problem (empty when complete)."""
    problems = []
    for dataset in specification:
        where = f"adam.{dataset.name}"
        if not dataset.label:
            problems.append(f"{where}: no dataset label (config.meta.label)")
        elif len(dataset.label) > 40:
            problems.append(f"{where}: dataset label over 40 characters ({len(dataset.label)})")
        if dataset.dataset_class not in CLASSES:
            problems.append(f"{where}: class {dataset.dataset_class!r} is not one of {', '.join(CLASSES)}")
        if not dataset.keys:
            problems.append(f"{where}: no key variables (config.meta.keys)")
        for key in dataset.keys:
            if key not in dataset.names:
                problems.append(f"{where}: key variable {key} is not a column")
        if len(dataset.name) > 8:
            problems.append(f"{where}: dataset name over 8 characters")
        for variable in dataset.variables:
            at = f"{where}.{variable.name}"
            if not variable.label:
                problems.append(f"{at}: no label (config.meta.label)")
            elif len(variable.label) > 40:
                problems.append(f"{at}: label over 40 characters ({len(variable.label)}): {variable.label}")
            if len(variable.name) > 8:
                problems.append(f"{at}: name over 8 characters")
            if not re.fullmatch(r"[A-Z][A-Z0-9_]*", variable.name):
                problems.append(f"{at}: name is not upper-case letters, digits and underscores starting with a letter")
            if not variable.data_type:
                problems.append(f"{at}: no data_type")
            if variable.origin not in ORIGINS:
                problems.append(f"{at}: origin {variable.origin!r} is not one of {', '.join(ORIGINS)}")
            if variable.origin == "Predecessor" and not variable.source:
                problems.append(f"{at}: Predecessor origin without a source (config.meta.source)")
            if variable.controlled and variable.codelist is None:
                problems.append(f"{at}: controlled variable without a code list (config.meta.codelist)")
            if not variable.description:
                problems.append(f"{at}: no description (the derivation text)")
        adsl = next((d for d in specification if d.name == "adsl"), None)
        for variable in dataset.variables:
            if adsl is not None and dataset is not adsl and variable.source == f"ADSL.{variable.name}":
                copied = next((v for v in adsl.variables if v.name == variable.name), None)
                if copied is not None and copied.label != variable.label:
                    problems.append(
                        f"{where}.{variable.name}: label {variable.label!r} differs from ADSL's {copied.label!r} "
                        "(a variable copied from ADSL keeps its label)"
                    )
        for column in dataset.value_level:
            if column not in dataset.names:
                problems.append(f"{where}: value_level for {column}, which is not a column")
    return problems
