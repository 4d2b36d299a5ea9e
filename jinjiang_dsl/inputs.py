"""Reading and validating applications against the policy's declared inputs.

Every problem is reported with its JSON path (``applicants[3].projects[0].software_investment:
negative money -5``) and belongs to one applicant: the others are still evaluated, and
nobody disappears from the output.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from .diagnostics import did_you_mean
from .plan import InputSpec, Plan

MONEY_TEXT = re.compile(r"^-?\d+(\.\d+)?$")
MAX_MONEY = Decimal(10) ** 15  # exact decimal arithmetic stays exact far beyond this
MAX_DECIMALS = 20  # with MAX_MONEY, every figure fits decide.EXACT's precision, so arithmetic stays exact
MAX_COUNT = 10**9  # 5万 × a count must stay a figure the output can write exactly
STRUCTURAL_APPLICANT = ("id", "name", "projects")
STRUCTURAL_PROJECT = ("id",)


class DocumentError(Exception):
    """The file as a whole cannot be read as applications (not JSON, wrong shape)."""


@attrs.frozen(slots=True)
class Project:
    id: str
    facts: dict[str, Any]
    given: frozenset[str]  # the fact names present in the input, before defaults
    date: dt.date | None
    path: str


@attrs.frozen(slots=True)
class Applicant:
    """One applicant as read: its facts, its projects, and any input errors (with JSON paths)."""

    index: int
    id: Any
    name: str | None
    facts: dict[str, Any]
    projects: tuple[Project, ...]
    errors: tuple[str, ...]
    path: str

    @property
    def ok(self) -> bool:
        return not self.errors


def _decode(text: str) -> Any:
    """JSON with numbers read exactly: 0.1 stays Decimal('0.1'), never a binary float."""
    return json.loads(text, parse_float=Decimal, parse_int=int)


def read_document(text: str) -> list[Any]:
    """The list of applicant records of a JSON applications document."""
    try:
        doc = _decode(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise DocumentError("not valid JSON: nested too deeply") from None
    return records_of(doc)


def records_of(doc: Any) -> list[Any]:
    """The applicant records of a parsed document: ``{"applicants": [...]}`` or a bare list."""
    if isinstance(doc, list):
        return doc
    if not isinstance(doc, dict):
        raise DocumentError('expected an object with "applicants": [...]')
    if "applicants" not in doc:
        raise DocumentError('no "applicants" list in the document')
    if not isinstance(doc["applicants"], list):
        raise DocumentError('"applicants" must be a list')
    return doc["applicants"]


class Validator:
    """Checks records against the plan's declared inputs and converts them to exact values."""

    def __init__(self, plan: Plan, assertions: Any = None):
        self.plan = plan
        self.applicant_inputs = {n: s for n, s in plan.inputs.items() if s.scope == "applicant"}
        self.project_inputs = {n: s for n, s in plan.inputs.items() if s.scope == "project"}
        self.assertions = assertions  # callable(a, p) -> list of failed assertion labels
        self.defaults = {
            id(table): {n: s.default for n, s in table.items() if s.default is not None}
            for table in (self.applicant_inputs, self.project_inputs)
        }

    def applicants(self, records: Iterable[Any], start: int = 0) -> Iterator[Applicant]:
        seen: dict[Any, int] = {}
        for i, record in enumerate(records, start):
            applicant = self.applicant(record, i)
            if applicant.id is not None and isinstance(applicant.id, (str, int)):
                if applicant.id in seen:
                    first = seen[applicant.id]
                    msg = f"{applicant.path}.id: duplicate id {applicant.id!r} (also applicants[{first}])"
                    applicant = attrs.evolve(applicant, errors=(*applicant.errors, msg))
                else:
                    seen[applicant.id] = i
            yield applicant

    def applicant(self, record: Any, index: int, path: str | None = None) -> Applicant:
        """One record; ``path`` names its root in messages (``applicants[3]``, or ``$`` for a stream line)."""
        path = path or f"applicants[{index}]"
        errors: list[str] = []
        if not isinstance(record, dict):
            errors.append(f"{path}: expected an object, got {_json_kind(record)}")
            return Applicant(index, None, None, {}, (), tuple(errors), path)
        aid = record.get("id")
        if aid is None:
            errors.append(f"{path}.id: missing (every applicant needs an id)")
        elif not isinstance(aid, str) or not aid.strip():
            errors.append(f"{path}.id: expected a non-empty string, got {_show(aid)}")
        name = record.get("name")
        if name is not None and not isinstance(name, str):
            errors.append(f"{path}.name: expected a string, got {_show(name)}")
            name = None
        facts = self.facts(record, self.applicant_inputs, path, errors, STRUCTURAL_APPLICANT, self.project_inputs)
        if "kind" in self.applicant_inputs and "kind" not in record:
            errors.append(f"{path}.kind: missing (one of {', '.join(self.applicant_inputs['kind'].values)})")
        projects: list[Project] = []
        raw_projects = record.get("projects", [])
        if not isinstance(raw_projects, list):
            errors.append(f"{path}.projects: expected a list, got {_json_kind(raw_projects)}")
            raw_projects = []
        seen: dict[str, int] = {}
        for j, raw in enumerate(raw_projects):
            project = self.project(raw, f"{path}.projects[{j}]", errors)
            if project is None:
                continue
            if project.id in seen:
                errors.append(f"{project.path}.id: duplicate project id {project.id!r} "
                              f"(also {path}.projects[{seen[project.id]}])")
            else:
                seen[project.id] = j
            if self.assertions is not None and not errors:
                for label, names in self.assertions(facts, project.facts):
                    errors.append(f"{project.path}.{names[0]}: {label.en} ({label.zh})")
            projects.append(project)
        return Applicant(index, aid if isinstance(aid, str) else None, name, facts, tuple(projects),
                         tuple(errors), path)

    def project(self, raw: Any, path: str, errors: list[str]) -> Project | None:
        if not isinstance(raw, dict):
            errors.append(f"{path}: expected an object, got {_json_kind(raw)}")
            return None
        pid = raw.get("id")
        if pid is None:
            errors.append(f"{path}.id: missing (every project needs an id)")
        elif not isinstance(pid, str) or not pid.strip():
            errors.append(f"{path}.id: expected a non-empty string, got {_show(pid)}")
        facts = self.facts(raw, self.project_inputs, path, errors, STRUCTURAL_PROJECT, self.applicant_inputs)
        dated = self.plan.dated_by
        if dated and dated not in raw:
            errors.append(f"{path}.{dated}: missing (the qualifying date decides the period)")
        given = frozenset(k for k in raw if k in self.project_inputs)
        return Project(str(pid) if isinstance(pid, str) else "", facts, given, facts.get(dated) if dated else None,
                       path)

    def facts(self, record: dict[str, Any], inputs: dict[str, InputSpec], path: str, errors: list[str],
              structural: tuple[str, ...], other_scope: dict[str, InputSpec]) -> dict[str, Any]:
        facts = dict(self.defaults[id(inputs)])  # what is not given (or null) takes its default
        for key, raw in record.items():
            if key in structural:
                continue
            spec = inputs.get(key)
            if spec is None:
                errors.append(self.unknown(key, inputs, path, structural, other_scope))
                continue
            value, problem = convert(spec, raw)
            if problem:
                errors.append(f"{path}.{key}: {problem}")
            elif value is not None:
                facts[key] = value
        return facts

    def unknown(self, key: str, inputs: dict[str, InputSpec], path: str, structural: tuple[str, ...],
                other_scope: dict[str, InputSpec]) -> str:
        where = "project" if "projects" not in structural else "applicant"
        if key in other_scope:
            return f"{path}.{key}: unknown field: {key} belongs to the {other_scope[key].scope}, not the {where}"
        guess = did_you_mean(key, [*inputs, *structural])
        hint = f"; did you mean '{guess}'?" if guess else ""
        return f"{path}.{key}: unknown field '{key}'{hint}"


# The shapes almost every value has, checked first (a batch reads millions of them); anything
# else takes the careful path below, which says exactly what is wrong.
FAST_MONEY = re.compile(r"\d{1,15}(\.\d{1,20})?")  # below MAX_MONEY, at most MAX_DECIMALS places
FAST_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def convert(spec: InputSpec, raw: Any) -> tuple[Any, str | None]:
    """A JSON value as the declared type, or the reason it is not one."""
    kind = spec.kind
    cls = raw.__class__
    if kind == "bool" and cls is bool:
        return raw, None
    if kind == "money" and cls is str and FAST_MONEY.fullmatch(raw):
        return Decimal(raw), None
    if kind == "count" and cls is int and 0 <= raw < MAX_COUNT:
        return raw, None
    if kind == "date" and cls is str and FAST_DATE.fullmatch(raw):
        try:
            return dt.date.fromisoformat(raw), None
        except ValueError:
            pass  # 2023-02-30: the careful path says so
    if raw is None:
        return None, None  # null is "not provided"
    if kind == "bool":
        return (raw, None) if isinstance(raw, bool) else (None, f"expected true or false, got {_show(raw)}")
    if isinstance(raw, float):
        return None, f"{raw!r} is a binary floating-point number, which cannot hold money exactly; " \
                     f"give it as a string or a Decimal"
    if kind in ("money", "percent"):
        if isinstance(raw, bool) or not isinstance(raw, (str, int, Decimal)):
            return None, f"expected money as a string or number, got {_show(raw)}"
        text = raw.strip() if isinstance(raw, str) else str(raw)
        if isinstance(raw, str) and not MONEY_TEXT.match(text):
            return None, f"not an amount: {raw!r} (write digits, e.g. \"1200000\" or \"1200000.50\")"
        try:
            value = Decimal(text)
        except InvalidOperation:
            return None, f"not an amount: {raw!r}"
        if not value.is_finite():
            return None, f"not an amount: {raw!r}"
        if value < 0:
            return None, f"negative money {text}"
        if value >= MAX_MONEY:
            return None, f"amount {text} is implausibly large"
        if _decimals(value) > MAX_DECIMALS:
            return None, f"amount {text} has more than {MAX_DECIMALS} decimal places"
        return value, None
    if kind == "count":
        if isinstance(raw, bool) or not isinstance(raw, int):
            if isinstance(raw, Decimal) and raw == raw.to_integral_value() and raw.is_finite():
                raw = int(raw)
            else:
                return None, f"expected a whole number, got {_show(raw)}"
        if raw < 0:
            return None, f"negative count {raw}"
        if raw >= MAX_COUNT:
            return None, f"count {raw} is implausibly large"
        return raw, None
    if kind == "date":
        if not isinstance(raw, str):
            return None, f"expected a date \"YYYY-MM-DD\", got {_show(raw)}"
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
                raise ValueError
            return dt.date.fromisoformat(raw), None
        except ValueError:
            return None, f"not a date: {raw!r} (expected YYYY-MM-DD)"
    if kind == "enum":
        if not isinstance(raw, str):
            return None, f"expected one of {', '.join(spec.values)}, got {_show(raw)}"
        if raw not in spec.values:
            guess = did_you_mean(raw, spec.values)
            hint = f"; did you mean '{guess}'?" if guess else f" (one of {', '.join(spec.values)})"
            return None, f"unknown {spec.name} {raw!r}{hint}"
        return raw, None
    if not isinstance(raw, str):  # text
        return None, f"expected text, got {_show(raw)}"
    return raw, None


def _decimals(value: Decimal) -> int:
    """Decimal places that matter (trailing zeros do not): 0.100 has 1. Exact: no context involved."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    while exponent < 0 and digits and digits[-1] == 0:
        digits, exponent = digits[:-1], exponent + 1
    return max(-exponent, 0)


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, Decimal)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null"


def _show(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return _json_kind(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return str(value)
