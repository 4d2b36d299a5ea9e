"""The schema of one applicant record, generated from the policy's declared inputs (``compile --emit
schema``): JSON Schema (2020-12) for the tools that produce applications — forms, registries, ETL
jobs — and the typed columns the SQL engine reads.

It states what the validator accepts (:mod:`jinjiang_dsl.inputs`): an id and a name (each of a bounded length, as texts are), the applicant's
facts and its projects, each project with an id and its facts (a fact not required may be null, read as
left out); money as a string of digits (or a
number, which is read exactly) below 10^15 with at most 20 decimals, never negative; counts as whole
numbers below 10^9; dates as ``YYYY-MM-DD``; a ``one of`` input as one of its values; nothing else
(an unknown field is an input error). The validator says more than a schema can (a date that does
not exist, a duplicate id, the policy's ``assert`` lines), so a record that fits the schema may still
be an error applicant — never the other way round.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..limits import MAX_COUNT, MAX_ID, MAX_MONEY_DECIMALS, MAX_NAME, MAX_NUMBER_TEXT, MAX_PROJECTS, MAX_TEXT
from ..plan import Plan

# Money's text as the validator reads it: digits, a point and digits, at most 64 characters between the spaces a
# spreadsheet leaves around them (it takes those, and no other), below 10^15, at most 20 decimal places that
# matter — zeros after the last of them are free, as the validator has them ("0." and 25 zeros is zero)
_FRACTION = rf"\.([0-9]{{0,{MAX_MONEY_DECIMALS - 1}}}[1-9]0*|0+)"
_SHORT = rf"(?=[0-9.]{{1,{MAX_NUMBER_TEXT}}}[%％]? *$)"
MONEY_PATTERN = rf"^ *{_SHORT}0*[0-9]{{1,15}}({_FRACTION})? *$"
# a percentage with its sign ("20%"), or the fraction itself, at most 1 ("0.2")
PERCENT_PATTERN = rf"^ *{_SHORT}(0*[0-9]{{1,15}}({_FRACTION})?[%％]|0*(0({_FRACTION})?|1(\.0+)?)) *$"
# a number's places: JSON Schema's pattern reads only strings, so a number is held to them by a multiple. Not
# money but the schema's own constant: json writes it as the text 1e-20, which a validator reads as it reads it
PLACES = float(Decimal(1).scaleb(-MAX_MONEY_DECIMALS))


def _fact(kind: str, values: tuple[str, ...]) -> dict[str, Any]:
    if kind == "percent":
        return {"type": ["string", "number"], "pattern": PERCENT_PATTERN, "minimum": 0, "maximum": 1,
                "multipleOf": PLACES}
    if kind == "money":
        return {"type": ["string", "number"], "pattern": MONEY_PATTERN, "minimum": 0, "exclusiveMaximum": 10**15,
                "multipleOf": PLACES}
    if kind == "count":
        return {"type": "integer", "minimum": 0, "maximum": MAX_COUNT - 1}
    if kind == "bool":
        return {"type": "boolean"}
    if kind == "date":
        return {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
    if kind == "enum":
        return {"type": "string", "enum": list(values)}
    return {"type": "string", "maxLength": MAX_TEXT}


def _nullable(fact: dict[str, Any]) -> dict[str, Any]:
    """A fact that may be left out may also be null: the validator reads null as not given (its default)."""
    types = fact["type"] if isinstance(fact["type"], list) else [fact["type"]]
    nullable = {**fact, "type": [*types, "null"]}
    if "enum" in fact:
        nullable["enum"] = [*fact["enum"], None]
    return nullable


def _facts(plan: Plan, scope: str) -> tuple[dict[str, Any], list[str]]:
    properties, required = {}, []
    for name, spec in plan.inputs.items():
        if spec.scope != scope:
            continue
        fact = _fact(spec.kind, spec.values)
        if spec.required or name == plan.dated_by:  # an undated record is an input error too
            required.append(name)
        else:
            fact = _nullable(fact)
        properties[name] = {**fact, "title": spec.label.zh, "description": spec.label.en}
        if spec.default is not None:
            properties[name]["default"] = spec.default if isinstance(spec.default, (bool, int, str)) \
                else str(spec.default)
    return properties, required


def json_schema(plan: Plan) -> dict[str, Any]:
    """The JSON Schema of one applicant record (an element of ``applicants``, or one JSON Lines line)."""
    applicant, required = _facts(plan, "applicant")
    project, project_required = _facts(plan, "project")
    identifier = {"type": "string", "minLength": 1, "maxLength": MAX_ID, "pattern": r"\S"}
    # a record that claims a measure dated by its own date (gives a fact of it) gives that date too
    dependent: dict[str, Any] = {}
    for m in plan.measures:
        for name in sorted(m.own_facts) if m.dated_by else ():
            need = dependent.setdefault(name, {"properties": {}, "required": []})
            need["properties"][m.dated_by] = _fact("date", ())
            need["required"] = sorted({*need["required"], m.dated_by})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{plan.name.zh} — 申请人记录",
        "description": f"{plan.name.en}: one applicant record (source sha256 {plan.source_sha256})",
        "type": "object",
        "properties": {
            "id": identifier,
            "name": {"type": ["string", "null"], "maxLength": MAX_NAME},
            **applicant,
            "projects": {"type": "array", "maxItems": MAX_PROJECTS, "items": {
                "type": "object",
                "properties": {"id": identifier, **project},
                "required": ["id", *project_required],
                "additionalProperties": False,
            }},
        },
        "required": ["id", *required],
        **({"dependentSchemas": dependent} if dependent else {}),
        "additionalProperties": False,
    }
