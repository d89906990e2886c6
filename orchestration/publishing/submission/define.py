"""define.xml (CDISC Define-XML 2.1) and its HTML rendering, from the submission specification.

Datasets (ItemGroupDef, linked to their `.xpt` file), variables (ItemDef: label, type, length,
display format, origin, code list), value-level metadata for every BDS parameter (PARAMCD), code
lists and one derivation method per derived variable (its dbt description). What depends on the
data, the character lengths, the parameters present and the terms of data-driven code lists, is
taken from the very rows written to the transport files.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import duckdb
import numpy as np

from orchestration.publishing.submission.datasets import Study, key_order
from orchestration.publishing.submission.spec import CLASSES, CodeList, Dataset, Term, Variable

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF = "http://www.cdisc.org/ns/def/v2.1"
XLINK = "http://www.w3.org/1999/xlink"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ET.register_namespace("", ODM)
ET.register_namespace("def", DEF)
ET.register_namespace("xlink", XLINK)
ADAMIG = ("ADaMIG", "1.3")
STRUCTURES = {
    "ADSL": "One record per subject",
    "BDS": "One record per subject per parameter per analysis timepoint",
    "OCCDS": "One record per subject per adverse event",
}


@dataclass
class DatasetFacts:
    """What define.xml needs from one dataset's published rows."""

    lengths: dict[str, int]
    parameters: list[tuple[str, str]] = field(default_factory=list)  # (PARAMCD, PARAM) in PARAMN order
    terms: dict[str, list[str]] = field(default_factory=dict)  # values of the data-driven code lists
    parameter_lengths: dict[tuple[str, str], int] = field(default_factory=dict)  # (variable, PARAMCD) -> length
    decimals: dict[str, int] = field(default_factory=dict)  # float variable -> most decimals shown (SignificantDigits)


def dataset_facts(
    con: duckdb.DuckDBPyConnection, dataset: Dataset, lengths: dict[str, int], schema: str = "adam"
) -> DatasetFacts:
    """What define.xml needs from the published rows, asked of DuckDB (one column at a time)."""
    table = f'"{schema}"."{dataset.name}"'
    present = {row[0] for row in con.execute(f"select column_name from (describe {table})").fetchall()}
    facts = DatasetFacts(lengths=lengths)
    if "PARAMCD" in present:
        keys = key_order(dataset)
        param = f"first(PARAM order by {keys})" if "PARAM" in present else "PARAMCD"
        number = f"first(PARAMN order by {keys})" if "PARAMN" in present else "null"
        pairs = con.execute(
            f"select PARAMCD, {param} from {table} where PARAMCD is not null group by PARAMCD order by {number} nulls last, PARAMCD"
        ).fetchall()
        facts.parameters = [(str(code), str(name)) for code, name in pairs]
        if "AVALC" in present:
            longest = con.execute(
                f"select PARAMCD, max(octet_length(encode(cast(AVALC as varchar)))) from {table} "
                "where PARAMCD is not null group by PARAMCD"
            ).fetchall()
            facts.parameter_lengths = {("AVALC", str(code)): int(n) if n is not None else 1 for code, n in longest}
    for variable in dataset.variables:
        column = f'"{variable.name}"'
        if variable.define_type == "float":
            (values,) = (
                con.execute(f"select cast({column} as double) from {table} where isfinite(cast({column} as double))")
                .fetchnumpy()
                .values()
            )
            values = np.asarray(values, dtype="float64")
            facts.decimals[variable.name] = next(
                (k for k in range(16) if np.allclose(values * 10**k, np.round(values * 10**k), rtol=0, atol=1e-6)), 15
            )
        if variable.codelist is not None and variable.codelist.from_data:
            facts.terms[variable.name] = _distinct(con, f"select distinct cast({column} as varchar) from {table}")
    for name, by_parameter in dataset.value_level.items():  # data-driven value-level code lists
        for code, codelist in by_parameter.items():
            if codelist is not None and codelist.from_data and name in present:
                query = f'select distinct cast("{name}" as varchar) from {table} where PARAMCD = ?'
                facts.terms[f"{name}.{code}"] = _distinct(con, query, [code])
    return facts


def _distinct(con: duckdb.DuckDBPyConnection, query: str, parameters: list[str] | None = None) -> list[str]:
    return sorted(value for (value,) in con.execute(query, parameters or []).fetchall() if value is not None)


def _text(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    translated = ET.SubElement(element, f"{{{ODM}}}TranslatedText", {XML_LANG: "en"})
    translated.text = text
    return element


def _length(variable: Variable, facts: DatasetFacts) -> str:
    return str(facts.lengths[variable.name]) if variable.is_character else "8"


def _codelist_with_terms(codelist: CodeList, facts: DatasetFacts, column: str) -> CodeList | None:
    """The code list with its terms (a data-driven one: the values published); None when it has
    none (a variable never populated lists nothing, and Define-XML has no empty code list)."""
    if codelist.from_data:
        codelist = CodeList(codelist.name, tuple(Term(code) for code in facts.terms.get(column, [])))
    return codelist if codelist.terms else None


def build_define(specification: list[Dataset], facts: dict[str, DatasetFacts], study: Study) -> bytes:
    """The define.xml document (UTF-8 bytes with an XML declaration and the stylesheet instruction)."""
    root = ET.Element(
        f"{{{ODM}}}ODM",
        {
            "FileType": "Snapshot",
            "FileOID": f"DEF.{study.study_id}.{study.export_id}",
            "CreationDateTime": study.created_at,
            "ODMVersion": "1.3.2",
            "Originator": "lensirt-warehouse",
            "SourceSystem": "lensirt-warehouse",
            "SourceSystemVersion": study.code_version,
            f"{{{DEF}}}Context": "Submission",
        },
    )
    study_element = ET.SubElement(root, f"{{{ODM}}}Study", {"OID": study.study_oid})
    globals_ = ET.SubElement(study_element, f"{{{ODM}}}GlobalVariables")
    ET.SubElement(globals_, f"{{{ODM}}}StudyName").text = study.study_id
    ET.SubElement(
        globals_, f"{{{ODM}}}StudyDescription"
    ).text = f"{study.study_id} analysis datasets, export {study.export_id}, data cut-off {study.data_cutoff}"
    ET.SubElement(globals_, f"{{{ODM}}}ProtocolName").text = study.study_id
    mdv = ET.SubElement(
        study_element,
        f"{{{ODM}}}MetaDataVersion",
        {
            "OID": f"MDV.{study.export_id}",
            "Name": f"{study.study_id} ADaM",
            "Description": f"ADaM datasets of export {study.export_id}",
            f"{{{DEF}}}DefineVersion": "2.1.0",
        },
    )
    standards = ET.SubElement(mdv, f"{{{DEF}}}Standards")
    ET.SubElement(
        standards,
        f"{{{DEF}}}Standard",
        {"OID": "STD.ADAMIG", "Name": ADAMIG[0], "Type": "IG", "Version": ADAMIG[1], "Status": "Final"},
    )

    value_lists: list[ET.Element] = []
    where_clauses: dict[str, ET.Element] = {}
    groups: list[ET.Element] = []
    items: list[ET.Element] = []
    codelists: dict[str, CodeList] = {}
    methods: list[ET.Element] = []

    for dataset in specification:
        data = facts[dataset.name]
        group = ET.Element(
            f"{{{ODM}}}ItemGroupDef",
            {
                "OID": f"IG.{dataset.upper}",
                "Name": dataset.upper,
                "SASDatasetName": dataset.upper,
                "Repeating": "No" if dataset.dataset_class == "ADSL" else "Yes",
                "IsReferenceData": "No",
                "Purpose": "Analysis",
                f"{{{DEF}}}Structure": STRUCTURES[dataset.dataset_class],
                f"{{{DEF}}}StandardOID": "STD.ADAMIG",
                f"{{{DEF}}}ArchiveLocationID": f"LF.{dataset.upper}",
            },
        )
        _text(group, f"{{{ODM}}}Description", dataset.label)
        for order, variable in enumerate(dataset.variables, start=1):
            item_oid = f"IT.{dataset.upper}.{variable.name}"
            ref = {
                "ItemOID": item_oid,
                "OrderNumber": str(order),
                "Mandatory": "Yes" if variable.name in dataset.keys else "No",
            }
            if variable.name in dataset.keys:
                ref["KeySequence"] = str(dataset.keys.index(variable.name) + 1)
            if variable.origin == "Derived":
                ref["MethodOID"] = f"MT.{dataset.upper}.{variable.name}"
                method = ET.Element(
                    f"{{{ODM}}}MethodDef",
                    {
                        "OID": ref["MethodOID"],
                        "Name": f"Algorithm to derive {dataset.upper}.{variable.name}",
                        "Type": "Computation",
                    },
                )
                _text(method, f"{{{ODM}}}Description", variable.description)
                methods.append(method)
            ET.SubElement(group, f"{{{ODM}}}ItemRef", ref)
            item = _item_def(
                item_oid, variable, _length(variable, data), variable.label, data.decimals.get(variable.name)
            )
            codelist = _codelist_with_terms(variable.codelist, data, variable.name) if variable.codelist else None
            if codelist is not None:
                codelists.setdefault(codelist.oid, codelist)
                _insert_before_origin(item, ET.Element(f"{{{ODM}}}CodeListRef", {"CodeListOID": codelist.oid}))
            if dataset.dataset_class == "BDS" and variable.name in ("AVAL", "AVALC") and data.parameters:
                value_list_oid = f"VL.{dataset.upper}.{variable.name}"
                ET.SubElement(item, f"{{{DEF}}}ValueListRef", {"ValueListOID": value_list_oid})
                value_list = ET.Element(f"{{{DEF}}}ValueListDef", {"OID": value_list_oid})
                for number, (code, label) in enumerate(data.parameters, start=1):
                    where_oid = f"WC.{dataset.upper}.PARAMCD.{code}"
                    vlm_oid = f"IT.{dataset.upper}.{variable.name}.{code}"
                    vlm_ref = ET.SubElement(
                        value_list,
                        f"{{{ODM}}}ItemRef",
                        {
                            "ItemOID": vlm_oid,
                            "OrderNumber": str(number),
                            "Mandatory": "No",
                            "MethodOID": ref.get("MethodOID", ""),
                        },
                    )
                    if not vlm_ref.get("MethodOID"):
                        del vlm_ref.attrib["MethodOID"]
                    ET.SubElement(vlm_ref, f"{{{DEF}}}WhereClauseRef", {"WhereClauseOID": where_oid})
                    if where_oid not in where_clauses:
                        where = ET.Element(f"{{{DEF}}}WhereClauseDef", {"OID": where_oid})
                        check = ET.SubElement(
                            where,
                            f"{{{ODM}}}RangeCheck",
                            {
                                "Comparator": "EQ",
                                "SoftHard": "Soft",
                                f"{{{DEF}}}ItemOID": f"IT.{dataset.upper}.PARAMCD",
                            },
                        )
                        ET.SubElement(check, f"{{{ODM}}}CheckValue").text = code
                        where_clauses[where_oid] = where
                    length = str(data.parameter_lengths.get((variable.name, code), 1)) if variable.is_character else "8"
                    vlm_item = _item_def(
                        vlm_oid, variable, length, f"{variable.label} for {label}", data.decimals.get(variable.name)
                    )
                    parameter_codelist = dataset.value_level.get(variable.name, {}).get(code)
                    if parameter_codelist is not None:
                        parameter_codelist = _codelist_with_terms(parameter_codelist, data, f"{variable.name}.{code}")
                    if parameter_codelist is not None:
                        codelists.setdefault(parameter_codelist.oid, parameter_codelist)
                        _insert_before_origin(
                            vlm_item, ET.Element(f"{{{ODM}}}CodeListRef", {"CodeListOID": parameter_codelist.oid})
                        )
                    items.append(vlm_item)
                value_lists.append(value_list)
            items.append(item)
        class_element = ET.SubElement(group, f"{{{DEF}}}Class", {"Name": CLASSES[dataset.dataset_class]})
        if dataset.subclass:
            ET.SubElement(class_element, f"{{{DEF}}}SubClass", {"Name": dataset.subclass})
        leaf = ET.SubElement(
            group, f"{{{DEF}}}leaf", {"ID": f"LF.{dataset.upper}", f"{{{XLINK}}}href": f"{dataset.name}.xpt"}
        )
        ET.SubElement(leaf, f"{{{DEF}}}title").text = f"{dataset.name}.xpt"
        groups.append(group)

    mdv.extend(value_lists)
    mdv.extend(where_clauses.values())
    mdv.extend(groups)
    mdv.extend(items)
    mdv.extend(_codelist_element(codelist) for codelist in codelists.values())
    mdv.extend(methods)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


def _item_def(oid: str, variable: Variable, length: str, description: str, decimals: int | None = None) -> ET.Element:
    attributes = {"OID": oid, "Name": variable.name, "DataType": variable.define_type, "Length": length}
    if variable.define_type == "float":
        attributes["SignificantDigits"] = str(max(decimals or 0, 1))
    attributes["SASFieldName"] = variable.name
    if variable.display_format:
        attributes[f"{{{DEF}}}DisplayFormat"] = variable.display_format
    item = ET.Element(f"{{{ODM}}}ItemDef", attributes)
    _text(item, f"{{{ODM}}}Description", description)
    origin = ET.SubElement(item, f"{{{DEF}}}Origin", {"Type": variable.origin})
    if variable.origin == "Predecessor" and variable.source:
        _text(origin, f"{{{ODM}}}Description", variable.source)
    return item


def _insert_before_origin(item: ET.Element, element: ET.Element) -> None:
    children = list(item)
    position = next(i for i, child in enumerate(children) if child.tag == f"{{{DEF}}}Origin")
    item.insert(position, element)


def _codelist_element(codelist: CodeList) -> ET.Element:
    element = ET.Element(
        f"{{{ODM}}}CodeList", {"OID": codelist.oid, "Name": codelist.name, "DataType": _codelist_type(codelist)}
    )
    with_decodes = any(term.decode for term in codelist.terms)
    for order, term in enumerate(codelist.terms, start=1):
        attributes = {"CodedValue": term.code, "OrderNumber": str(order)}
        if with_decodes:
            _text(
                ET.SubElement(element, f"{{{ODM}}}CodeListItem", attributes),
                f"{{{ODM}}}Decode",
                term.decode or term.code,
            )
        else:
            ET.SubElement(element, f"{{{ODM}}}EnumeratedItem", attributes)
    return element


def _codelist_type(codelist: CodeList) -> str:
    codes = [term.code for term in codelist.terms]
    return "integer" if codes and all(code.lstrip("-").isdigit() for code in codes) else "text"


def render_html(specification: list[Dataset], facts: dict[str, DatasetFacts], study: Study) -> str:
    """define.xml for a person: the datasets, their variables, the parameters and the code lists."""
    e = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>define.xml: {e(study.study_id)} ADaM</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}"
        "td,th{border:1px solid #bbb;padding:3px 6px;vertical-align:top;text-align:left}th{background:#eef}"
        "td.d{max-width:50em;font-size:90%}</style></head><body>",
        f"<h1>{e(study.study_id)}: ADaM datasets (Define-XML 2.1)</h1>",
        f"<p>Export {e(study.export_id)}, data cut-off {e(study.data_cutoff)}, code version {e(study.code_version)}, "
        f"created {e(study.created_at)}. Machine-readable: <a href='define.xml'>define.xml</a>.</p>",
        "<h2>Datasets</h2><table><tr><th>Dataset</th><th>Label</th><th>Class</th><th>Structure</th><th>Keys</th><th>Location</th></tr>",
    ]
    for dataset in specification:
        parts.append(
            f"<tr><td><a href='#{dataset.upper}'>{dataset.upper}</a></td><td>{e(dataset.label)}</td>"
            f"<td>{e(CLASSES[dataset.dataset_class])}{' / ' + e(dataset.subclass) if dataset.subclass else ''}</td>"
            f"<td>{e(STRUCTURES[dataset.dataset_class])}</td><td>{e(', '.join(dataset.keys))}</td>"
            f"<td><a href='{dataset.name}.xpt'>{dataset.name}.xpt</a></td></tr>"
        )
    parts.append("</table>")
    codelists: dict[str, CodeList] = {}
    for dataset in specification:
        data = facts[dataset.name]
        parts.append(
            f"<h2 id='{dataset.upper}'>{dataset.upper}: {e(dataset.label)}</h2><table><tr><th>Variable</th><th>Label</th>"
            "<th>Type</th><th>Length</th><th>Format</th><th>Code list</th><th>Origin</th><th>Derivation</th></tr>"
        )
        for variable in dataset.variables:
            codelist = _codelist_with_terms(variable.codelist, data, variable.name) if variable.codelist else None
            if codelist:
                codelists.setdefault(codelist.oid, codelist)
            origin = variable.origin + (f": {variable.source}" if variable.source else "")
            parts.append(
                f"<tr><td>{variable.name}</td><td>{e(variable.label)}</td><td>{variable.define_type}</td>"
                f"<td>{_length(variable, data)}</td><td>{variable.display_format or ''}</td>"
                f"<td>{f'<a href=#{codelist.oid}>{e(codelist.name)}</a>' if codelist else ''}</td><td>{e(origin)}</td>"
                f"<td class='d'>{e(variable.description)}</td></tr>"
            )
        parts.append("</table>")
        if data.parameters:
            parts.append(
                f"<h3>{dataset.upper} parameters (value-level metadata)</h3><table><tr><th>PARAMCD</th><th>PARAM</th><th>AVALC code list</th></tr>"
            )
            for code, label in data.parameters:
                codelist = dataset.value_level.get("AVALC", {}).get(code)
                if codelist:
                    codelist = _codelist_with_terms(codelist, data, f"AVALC.{code}")
                if codelist:  # a code list without terms (a parameter never populated) is left out
                    codelists.setdefault(codelist.oid, codelist)
                parts.append(
                    f"<tr><td>{e(code)}</td><td>{e(label)}</td>"
                    f"<td>{f'<a href=#{codelist.oid}>{e(codelist.name)}</a>' if codelist else ''}</td></tr>"
                )
            parts.append("</table>")
    parts.append("<h2>Code lists</h2>")
    for codelist in codelists.values():
        parts.append(f"<h3 id='{codelist.oid}'>{e(codelist.name)}</h3><table><tr><th>Code</th><th>Decode</th></tr>")
        parts.extend(f"<tr><td>{e(t.code)}</td><td>{e(t.decode or '')}</td></tr>" for t in codelist.terms)
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
