"""Reading and validating applications against the policy's declared inputs.

Every problem is reported with its JSON path (``applicants[3].projects[0].investment:
negative money -5``) and belongs to one applicant: the others are still evaluated, and
nobody disappears from the output.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import attrs

from .diagnostics import did_you_mean
from .ir import InputSpec
from .limits import (
    MAX_COUNT,
    MAX_DOCUMENT_BYTES,
    MAX_ERRORS,
    MAX_ID,
    MAX_MONEY,
    MAX_MONEY_DECIMALS,
    MAX_NAME,
    MAX_NESTING,
    MAX_NUMBER_TEXT,
    MAX_PROJECTS,
    MAX_TEXT,
    capped,
    decode_text,
    shorten,
)
from .plan import Plan
from .problem import Problem
from .runtime.money import Percent, percent_text

MONEY_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")  # ASCII digits only: "１００" is not a number
STRUCTURAL_APPLICANT = ("id", "name", "projects")
STRUCTURAL_PROJECT = ("id",)

JSON_KINDS_ZH = {"a boolean": "布尔值", "a number": "数字", "a string": "文本", "a list": "列表", "an object": "对象",
                 "a Python object": "Python 对象",
                 "null": "空值"}
SCOPES_ZH = {"applicant": "申请人", "project": "项目"}


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
    id: str | None  # None when the record gave no usable id (its errors say why)
    name: str | None
    facts: dict[str, Any]
    projects: tuple[Project, ...]
    errors: tuple[str, ...]
    path: str
    given: frozenset[str] = frozenset()  # the applicant fact names present in the input, before defaults
    date: dt.date | None = None  # the applicant's own date, when the policy is dated by an applicant input
    # the date of each measure it claims that is dated by an applicant date of its own ('dated by' in the measure)
    measure_dates: dict[str, dt.date] = attrs.field(factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


@attrs.frozen(slots=True)
class LongNumber:
    """A JSON number too long to be a plausible figure (an integer of more than 18 digits, any number
    of more than :data:`MAX_NUMBER_TEXT` characters): kept as text, never converted, and reported
    by the validator where it stands."""

    text: str


class Duplicates(dict):
    """A JSON object in which a key occurs more than once: the validator reports it, never picks one. Its
    members as given (``pairs``, every value of a repeated key) are kept, so that the register stores the
    record as read and a replay sees the same error."""

    keys_twice: tuple[str, ...] = ()
    pairs: tuple[tuple[str, Any], ...] = ()


def _int(text: str) -> int | LongNumber:
    return int(text) if len(text) <= 18 else LongNumber(text)


def _float(text: str) -> Decimal | LongNumber:
    return Decimal(text) if len(text) <= MAX_NUMBER_TEXT else LongNumber(text)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    repeated: dict[str, None] = {}  # in the order they repeat, once each
    for k, _ in pairs:
        if k in seen:
            repeated[k] = None
        seen.add(k)
    twice = tuple(repeated)
    found = Duplicates(obj)
    found.keys_twice, found.pairs = twice, tuple(pairs)
    return found


DECODER = json.JSONDecoder(parse_float=_float, parse_int=_int, object_pairs_hook=_object)
"""JSON as applications are read: numbers exact (never binary floats) and bounded before they are
built, repeated keys kept visible. Built once: a batch decodes millions of lines with it."""


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def lone_surrogate(text: str, value: Any, path: str = "$") -> str | None:
    """Where the JSON ``text`` (decoded: ``value``) holds half of a surrogate pair — a ``\\ud800`` escape
    without its other half, which is no character: nothing could write it as UTF-8, and I-JSON (RFC 7493)
    forbids it — as ``path: why``; None when it holds none (the text is searched first: most hold no
    such escape)."""
    if "\\u" not in text or not _SURROGATE_ESCAPE.search(text):
        return None
    return _surrogate_in(value, path)


def _surrogate_in(value: Any, path: str, said: str = "{} is half of a surrogate pair, not a character") -> str | None:
    if isinstance(value, str):
        half = next((ch for ch in value if "\ud800" <= ch <= "\udfff"), None)
        return None if half is None else f"{path}: " + said.format(half.encode("unicode_escape").decode())
    if isinstance(value, dict):
        for key, item in value.items():
            found = (_surrogate_in(key, path, "a key holds {}, half of a surrogate pair, not a character")
                     or _surrogate_in(item, f"{path}.{key}"))
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _surrogate_in(item, f"{path}[{i}]")
            if found:
                return found
    return None


def read_document(text: str | bytes) -> list[Any]:
    """The list of applicant records of a JSON applications document: text, or its UTF-8 bytes (a file
    read in binary, a request's body), measured before they are decoded."""
    if isinstance(text, bytes):
        size = len(text)
    else:
        size = len(text.encode("utf-8", "surrogatepass")) if len(text) > MAX_DOCUMENT_BYTES // 4 else 0
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentError(f"{size:,} bytes; a JSON document may have at most {MAX_DOCUMENT_BYTES:,} "
                            "(give larger batches as JSON Lines, one applicant per line)")
    if isinstance(text, bytes):
        try:
            text = decode_text(text)
        except UnicodeDecodeError as exc:
            raise DocumentError(f"not UTF-8 text (byte {exc.start + 1} is {text[exc.start]:#04x})") from None
    try:
        doc = DECODER.decode(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as exc:
        raise DocumentError(f"not valid JSON: {exc.msg.removesuffix(' at')} at line {exc.lineno}, column {exc.colno}"
                            ) from None
    except RecursionError:
        raise DocumentError("not valid JSON: nested too deeply") from None
    records = records_of(doc)
    if _bracketed_past(text):  # the text once, not once a record (that was quadratic in the document's size)
        deep = next((i for i, record in enumerate(records) if _nests_past(record)), None)
        if deep is not None:  # refused as a document nested past what the decoder reads is
            raise DocumentError(f"applicants[{deep}]: {NESTED}")
    half = lone_surrogate(text, doc)
    if half is not None:
        raise DocumentError(f"not valid JSON: {half}")
    return records


def too_deep(text: str, value: Any) -> bool:
    """Whether the decoded JSON ``value`` nests lists and objects deeper than :data:`MAX_NESTING`, found
    without recursion (its ``text`` is looked at first: fewer brackets than the bound cannot nest past it)."""
    return _bracketed_past(text) and _nests_past(value)


def _bracketed_past(text: str) -> bool:
    """Whether ``text`` opens more brackets than :data:`MAX_NESTING`: only then may what it decodes to nest past it."""
    return text.count("[") + text.count("{") > MAX_NESTING


def _nests_past(value: Any) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_NESTING:
                return True
            inside = [v for _, v in item.pairs] if isinstance(item, Duplicates) else \
                item.values() if isinstance(item, dict) else item
            stack.extend((v, depth + 1) for v in inside)
    return False


NESTED = f"nested more than {MAX_NESTING} levels deep (a record may nest at most {MAX_NESTING})"


def records_of(doc: Any) -> list[Any]:
    """The applicant records of a parsed document: ``{"applicants": [...]}`` or a bare list."""
    if isinstance(doc, list):
        return doc
    if not isinstance(doc, dict):
        raise DocumentError('expected an object with "applicants": [...]')
    if "applicants" not in doc:
        raise DocumentError('no "applicants" list in the document')
    if "applicants" in getattr(doc, "keys_twice", ()):
        raise DocumentError('"applicants" is given twice in the document')
    if not isinstance(doc["applicants"], list):
        raise DocumentError('"applicants" must be a list')
    other = next((key for key in doc if key != "applicants"), None)
    if other is not None:  # "applicant": [...] beside "applicants" would be applicants lost unread
        raise DocumentError(f'unknown key {_show(other)} in the document: it holds only "applicants"')
    return doc["applicants"]


class Validator:
    """Checks records against the plan's declared inputs and converts them to exact values."""

    def __init__(self, plan: Plan, assertions: Any = None, max_projects: int = MAX_PROJECTS):
        self.plan = plan
        self.max_projects = max_projects
        self.applicant_inputs = {n: s for n, s in plan.inputs.items() if s.scope == "applicant"}
        self.project_inputs = {n: s for n, s in plan.inputs.items() if s.scope == "project"}
        self.assertions = assertions  # callable(a, p) -> list of failed assertion labels
        # the measures dated by an applicant date of their own: a record that claims one must give it
        self.own_dated = tuple((m.id, m.dated_by, m.own_facts) for m in plan.measures if m.dated_by)
        self.defaults = {
            id(table): {n: s.default for n, s in table.items() if s.default is not None}
            for table in (self.applicant_inputs, self.project_inputs)
        }
        self.required = {id(table): [s for s in table.values() if s.required]
                         for table in (self.applicant_inputs, self.project_inputs)}

    def applicants(self, records: Iterable[Any], start: int = 0) -> Iterator[Applicant]:
        seen: dict[Any, int] = {}
        for i, record in enumerate(records, start):
            applicant = self.applicant(record, i)
            if applicant.id is not None and isinstance(applicant.id, (str, int)):
                if applicant.id in seen:
                    first = seen[applicant.id]
                    shown = _show(applicant.id)
                    msg = Problem(f"duplicate id {shown} (also applicants[{first}])",
                                  f"编号 {shown} 重复(与 applicants[{first}] 相同)").at(f"{applicant.path}.id"
                                                                                   ).of(applicant.id)
                    applicant = attrs.evolve(applicant, errors=(*applicant.errors, msg))
                else:
                    seen[applicant.id] = i
            yield applicant

    def applicant(self, record: Any, index: int, path: str | None = None, counted: int | None = None) -> Applicant:
        """One record; ``path`` names its root in messages (``applicants[3]``, or ``$`` for a stream line).
        ``counted``: how many projects a reader counted over the bound without keeping them (a CSV applicant's
        rows), to be reported as the record's own list would be."""
        path = path or f"applicants[{index}]"
        errors: list[str] = []
        if not isinstance(record, dict):
            errors.append(_not_a(path, "an object", "对象", record))
            return Applicant(index, None, None, {}, (), tuple(errors), path)
        _keys(record, path, errors)
        aid = record.get("id")
        _check_id(aid, path, "applicant", errors)
        name = record.get("name")
        if name is not None and not isinstance(name, str):
            errors.append(Problem(f"expected a string, got {_show(name)}", f"名称应为文本,实为 {_show(name)}")
                          .at(f"{path}.name"))
            name = None
        elif name is not None and len(name) > MAX_NAME:
            errors.append(Problem(f"a name of {len(name):,} characters; a name has at most {MAX_NAME}",
                                  f"名称长 {len(name):,} 个字符;名称最多 {MAX_NAME} 个字符").at(f"{path}.name"))
            name = None
        facts = self.facts(record, self.applicant_inputs, path, errors, STRUCTURAL_APPLICANT, self.project_inputs)
        dated = self.plan.dated_by
        date = facts.get(dated) if dated in self.applicant_inputs else None
        if dated in self.applicant_inputs and record.get(dated) is None:  # null is not a date either
            errors.append(self.undated(dated, path))
        undated, measure_dates = {dated}, {}  # each missing date said once
        for mid, own, claimed in self.own_dated:
            if not any(k in record for k in claimed):
                continue
            if isinstance(facts.get(own), dt.date):
                measure_dates[mid] = facts[own]
            elif own not in undated and record.get(own) is None:
                undated.add(own)
                label = self.plan.inputs[own].label.zh
                errors.append(Problem(f"missing (measure {mid} is claimed: the date decides its period and year)",
                                      f"缺少{label}(申报措施 {mid},据以判断施行期与年度)").at(f"{path}.{own}"))
        projects: list[Project] = []
        raw_projects = record.get("projects", [])
        if not isinstance(raw_projects, list):
            errors.append(_not_a(f"{path}.projects", "a list", "列表", raw_projects))
            raw_projects = []
        count = len(raw_projects) if counted is None else counted
        if count > self.max_projects:
            errors.append(Problem(f"{count:,} projects; an applicant may have at most "
                                  f"{self.max_projects:,} (--max-projects)",
                                  f"项目 {count:,} 个;每个申请人最多 {self.max_projects:,} 个(--max-projects)")
                          .at(f"{path}.projects"))
            raw_projects = []
        seen: dict[str, int] = {}
        for j, raw in enumerate(raw_projects):
            project = self.project(raw, f"{path}.projects[{j}]", errors, date)
            if project is None:
                continue
            if project.id in seen:
                also, shown = f"{path}.projects[{seen[project.id]}]", _show(project.id)
                errors.append(Problem(f"duplicate project id {shown} (also {also})",
                                      f"项目编号 {shown} 重复(与 {also} 相同)").at(f"{project.path}.id"))
            else:
                seen[project.id] = j
            if self.assertions is not None and not errors:
                for label, names in self.assertions(facts, project.facts):
                    errors.append(Problem(label.en, label.zh).at(f"{project.path}.{names[0]}"))
            projects.append(project)
        pids = [raw.get("id") if isinstance(raw, dict) else None for raw in raw_projects]
        errors = capped(errors, lambda more: Problem(
            f"{more:,} more errors in this record (the first {MAX_ERRORS} are listed)",
            f"本记录另有 {more:,} 处错误(仅列出前 {MAX_ERRORS} 处)").at(path))
        return Applicant(index, aid if isinstance(aid, str) else None, name, facts, tuple(projects),
                         tuple(_named(e, path, aid, pids) for e in errors), path,
                         frozenset(k for k in record if k in self.applicant_inputs), date, measure_dates)

    def undated(self, dated: str, path: str) -> Problem:
        label = self.plan.inputs[dated].label.zh
        return Problem("missing (the date decides the period and the year)",
                       f"缺少{label}(据以判断施行期与年度)").at(f"{path}.{dated}")

    def project(self, raw: Any, path: str, errors: list[str], applicant_date: dt.date | None = None
                ) -> Project | None:
        """A project as read; dated by its own date input, or by the applicant's when the policy says so."""
        if not isinstance(raw, dict):
            errors.append(_not_a(path, "an object", "对象", raw))
            return None
        _keys(raw, path, errors)
        pid = raw.get("id")
        _check_id(pid, path, "project", errors)
        facts = self.facts(raw, self.project_inputs, path, errors, STRUCTURAL_PROJECT, self.applicant_inputs)
        dated = self.plan.dated_by
        own = dated if dated is not None and dated in self.project_inputs else None
        if own is not None and raw.get(own) is None:  # null is not a date either
            errors.append(self.undated(own, path))
        given = frozenset(k for k in raw if k in self.project_inputs)
        return Project(str(pid) if isinstance(pid, str) else "", facts, given,
                       facts.get(own) if own is not None else applicant_date, path)

    def facts(self, record: dict[str, Any], inputs: dict[str, InputSpec], path: str, errors: list[str],
              structural: tuple[str, ...], other_scope: dict[str, InputSpec]) -> dict[str, Any]:
        facts = dict(self.defaults[id(inputs)])  # what is not given (or null) takes its default
        for key, raw in record.items():
            if key in structural or not isinstance(key, str):
                continue
            spec = inputs.get(key)
            if spec is None:
                errors.append(self.unknown(key, inputs, path, structural, other_scope, len(errors) < MAX_ERRORS))
                continue
            value, problem = convert(spec, raw)
            if problem:
                errors.append(problem.at(f"{path}.{key}"))
            elif value is not None:
                facts[key] = value
        for spec in self.required[id(inputs)]:
            if record.get(spec.name) is None:
                values = ", ".join(spec.values)
                errors.append((Problem(f"missing (one of {values})", f"缺少{spec.label.zh}(可选:{values})") if values
                               else Problem("missing (required)", f"缺少{spec.label.zh}(必填)")).at(f"{path}.{spec.name}"))
        return facts

    def unknown(self, key: str, inputs: dict[str, InputSpec], path: str, structural: tuple[str, ...],
                other_scope: dict[str, InputSpec], listed: bool = True) -> str:
        """An unknown field's error; a spelling is suggested only if the error is ``listed`` among the record's
        first :data:`MAX_ERRORS`: comparing each of a line's 35,000 unknown fields with every input took 9 s."""
        where = "project" if "projects" not in structural else "applicant"
        if key in other_scope:
            other = other_scope[key].scope
            return Problem(f"unknown field: {key} belongs to the {other}, not the {where}",
                           f"未知字段:{key} 属于{SCOPES_ZH[other]},不属于{SCOPES_ZH[where]}").at(f"{path}.{key}")
        guess = did_you_mean(key, [*inputs, *structural]) if listed else None
        hint = f"; did you mean '{guess}'?" if guess else ""
        hint_zh = f";是否应为 '{guess}'?" if guess else ""
        key = shorten(key)
        return Problem(f"unknown field '{key}'{hint}", f"未知字段 '{key}'{hint_zh}").at(f"{path}.{key}")


# The shapes almost every value has, checked first (a batch reads millions of them); anything
# else takes the careful path below, which says exactly what is wrong.
FAST_MONEY = re.compile(r"[0-9]{1,15}(\.[0-9]{1,20})?")  # below MAX_MONEY, at most MAX_MONEY_DECIMALS places
FAST_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def convert(spec: InputSpec, raw: Any) -> tuple[Any, Problem | None]:
    """A JSON value as the declared type, or the reason it is not one.

    Bounded work for any value: a number's size is checked on its text or its exponent
    before anything is built from it (docs/security.md)."""
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
    if kind == "date" and cls is dt.date:  # from the Python API: already a date, nothing to read
        return raw, None
    if raw is None:
        return None, None  # null is "not provided"
    if cls is LongNumber:
        return None, Problem(f"the number {_show(raw)} is out of range", f"数字 {_show(raw)} 超出范围")
    if kind == "bool":
        if isinstance(raw, bool):
            return raw, None
        return None, Problem(f"expected true or false, got {_show(raw)}", f"应为 true 或 false,实为 {_show(raw)}")
    if isinstance(raw, float) and kind in ("money", "percent"):  # any other kind says what it expects instead
        return None, Problem(f"{raw!r} is a binary floating-point number, which cannot hold money exactly; "
                             f"give it as a string or a Decimal",
                             f"{raw!r} 是二进制浮点数,不能精确表示金额;请以文本或 Decimal 给出")
    if kind == "percent":
        return _percent(raw)
    if kind == "money":
        return _money(raw)
    if kind == "count":
        return _count(raw)
    if kind == "date":
        if isinstance(raw, dt.datetime):
            return None, Problem(f"expected a date, got a datetime ({_show(raw.isoformat())}): give the date alone",
                                 f"应为日期,实为带时刻的 datetime({_show(raw.isoformat())}):请只给日期")
        if not isinstance(raw, str):
            return None, Problem(f"expected a date \"YYYY-MM-DD\", got {_show(raw)}",
                                 f"日期应为 \"YYYY-MM-DD\" 形式的文本,实为 {_show(raw)}")
        try:
            if not FAST_DATE.fullmatch(raw):
                raise ValueError
            return dt.date.fromisoformat(raw), None
        except ValueError:
            return None, Problem(f"not a date: {_show(raw)} (expected YYYY-MM-DD)",
                                 f"不是日期:{_show(raw)}(应为 YYYY-MM-DD)")
    if kind == "enum":
        if not isinstance(raw, str):
            values = ", ".join(spec.values)
            return None, Problem(f"expected one of {values}, got {_show(raw)}", f"应为 {values} 之一,实为 {_show(raw)}")
        if raw not in spec.values:
            guess = did_you_mean(raw, spec.values)
            hint = f"; did you mean '{guess}'?" if guess else f" (one of {', '.join(spec.values)})"
            hint_zh = f";是否应为 '{guess}'?" if guess else f"(可选:{', '.join(spec.values)})"
            return None, Problem(f"unknown {spec.name} {_show(raw)}{hint}", f"未知的{spec.label.zh} {_show(raw)}{hint_zh}")
        return raw, None
    if not isinstance(raw, str):  # text
        return None, Problem(f"expected text, got {_show(raw)}", f"应为文本,实为 {_show(raw)}")
    if len(raw) > MAX_TEXT:
        return None, Problem(f"a text of {len(raw):,} characters; a text has at most {MAX_TEXT}",
                             f"文本长 {len(raw):,} 个字符;文本最多 {MAX_TEXT} 个字符")
    return raw, None


@attrs.frozen
class _Figure:
    """What an input error calls a figure read by the money rules: money, or a percentage's number."""

    noun: str  # "amount 5 has more than …"
    mass: str  # "negative money -5"
    bound: str  # "(money is below 10^15)"
    zh: str


_MONEY = _Figure("amount", "money", "money is below", "金额")
_PERCENTAGE = _Figure("percentage", "percentage", "a figure is below", "百分比")


def _money(raw: Any, figure: _Figure = _MONEY) -> tuple[Decimal | None, Problem | None]:
    """Money from a string of ASCII digits, an int or a finite Decimal, within the bounds."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, Decimal)):
        return None, Problem(f"expected money as a string or number, got {_show(raw)}",
                             f"金额应为文本或数字,实为 {_show(raw)}")
    value: Decimal | None
    if isinstance(raw, str):
        text = raw.strip(" ")  # spaces a spreadsheet left around the digits; any other character is said
        if len(text) > MAX_NUMBER_TEXT or not MONEY_TEXT.fullmatch(text):
            return None, Problem(f"not an amount: {_show(raw)} (write digits 0-9, e.g. \"1200000\" or \"1200000.50\")",
                                 f"不是金额:{_show(raw)}(请用数字 0-9 书写,如 \"1200000\" 或 \"1200000.50\")")
        value = Decimal(text)
    elif isinstance(raw, Decimal) and not raw.is_finite():  # NaN, sNaN, Infinity
        return None, Problem(f"not an amount: {raw}", f"不是金额:{raw}")
    else:
        value = raw if isinstance(raw, Decimal) else None  # an int is compared as it is: str() of a huge one fails
    number: Any = value if value is not None else raw
    if number < 0 or number == 0 and isinstance(raw, str) and value is not None and value.is_signed():
        return None, Problem(f"negative {figure.mass} {_show(number)}", f"{figure.zh}为负数 {_show(number)}")
    if value is not None and value == 0 and value.is_signed():
        value = value.copy_abs()  # the JSON number -0.0 is zero, as JSON (and the schema's minimum 0) has it
    if number >= MAX_MONEY:
        return None, Problem(f"{figure.noun} {_show(number)} is implausibly large ({figure.bound} 10^15)",
                             f"{figure.zh} {_show(number)} 大得不合理(应小于 10^15)")
    value = value if value is not None else Decimal(raw)
    if decimal_places(value) > MAX_MONEY_DECIMALS:
        return None, Problem(f"{figure.noun} {_show(value)} has more than {MAX_MONEY_DECIMALS} decimal places",
                             f"{figure.zh} {_show(value)} 的小数超过 {MAX_MONEY_DECIMALS} 位")
    return value, None


def _percent(raw: Any) -> tuple[Decimal | None, Problem | None]:
    """A percentage: "20%" (or "20％") is 0.20; a plain number is the fraction itself, at most 1 — 20 would be
    2000%, which a data provider meaning 20% would never see, so it is an error (as ``share > 10`` is in a policy)."""
    text = raw.strip(" ") if isinstance(raw, str) else ""
    signed = text[-1:] in ("%", "％") and not text[-2:-1].isspace()  # "20%": the sign against its number
    value, problem = _money(text[:-1] if signed else raw, _PERCENTAGE)
    if problem is not None and not problem.startswith(("not an amount", "expected money")):
        return None, problem  # a number, but out of bounds: negative, too large, too many places
    if problem is not None or value is None:
        return None, Problem(f"not a percentage: {_show(raw)} (write it with its sign, \"20%\", or as a fraction, 0.2)",
                             f"不是百分比:{_show(raw)}(请写作带百分号的 \"20%\",或写作小数 0.2)")
    if signed:
        return Percent(value.scaleb(-2)), None
    if value > 1:
        return None, Problem(f"{_show(raw)} as a percentage is a fraction (0.2 is 20%), so it would be "
                             f"{percent_text(value)}: write \"{shorten(str(raw))}%\" with its sign",
                             f"{_show(raw)} 作为百分比按小数读(0.2 即 20%),将是 {percent_text(value)}:"
                             f"请写作带百分号的 \"{shorten(str(raw))}%\"")
    return Percent(value), None


def _count(raw: Any) -> tuple[int | None, Problem | None]:
    """A whole number within the bounds; a Decimal's exponent is looked at before it is turned into an int."""
    if isinstance(raw, Decimal) and raw.is_finite() and raw.adjusted() < 18 and raw == raw.to_integral_value():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int):
        return None, Problem(f"expected a whole number, got {_show(raw)}", f"应为整数,实为 {_show(raw)}")
    if raw < 0:
        return None, Problem(f"negative count {_show(raw)}", f"数量为负数 {_show(raw)}")
    if raw >= MAX_COUNT:
        return None, Problem(f"count {_show(raw)} is implausibly large (at most {MAX_COUNT - 1:,})",
                             f"数量 {_show(raw)} 大得不合理(最多 {MAX_COUNT - 1:,})")
    return raw, None


def decimal_places(value: Decimal) -> int:
    """Decimal places that matter (trailing zeros do not): 0.100 has 1. Linear in the digits."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    if exponent >= 0 or not any(digits):  # a zero has no places that matter, however it is written (0E-25)
        return 0
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(-exponent - trailing_zeros, 0)


def _keys(record: dict[Any, Any], path: str, errors: list[str]) -> None:
    """Keys that are not strings (from the Python API), and keys given twice (JSON), are errors."""
    for key in record:
        if not isinstance(key, str):
            errors.append(Problem(f"a key must be a string, got {_show(key)}", f"键应为文本,实为 {_show(key)}")
                          .at(path))
    for key in getattr(record, "keys_twice", ()):
        errors.append(Problem("given more than once; which value is meant is unclear",
                              "重复给出;无法确定以哪一个为准").at(f"{path}.{shorten(key)}"))


_PROJECT_AT = re.compile(r"\.projects\[(\d+)\][.:]")


def _named(error: str, path: str, applicant: Any, projects: list[Any]) -> str:
    """An error naming the applicant's id and, when it is about one of its projects, that project's."""
    if not isinstance(error, Problem):
        return error
    found = _PROJECT_AT.match(error, len(path)) if error.startswith(path) else None
    project = projects[int(found.group(1))] if found and int(found.group(1)) < len(projects) else None
    return error.of(applicant, project)


def repeated_id(line: int, applicant_id: Any, first: int) -> Problem:
    """A stream line whose applicant id an earlier line has: worded as a document's duplicate id, at its path
    and naming the applicant, with the lines for the document's indexes."""
    shown = _show(applicant_id)
    return Problem(f"duplicate id {shown} (also line {first})", f"编号 {shown} 重复(与第 {first} 行相同)"
                   ).at(f"line {line}: $.id").of(applicant_id)


def _check_id(value: Any, path: str, whose: str, errors: list[str]) -> None:
    """Every applicant and every project needs an id: a non-empty string of at most :data:`MAX_ID` characters."""
    zh = "编号" if whose == "applicant" else "项目编号"
    if value is None:
        errors.append(Problem(f"missing (every {whose} needs an id)", f"缺少{zh}(每个{SCOPES_ZH[whose]}都须有编号)")
                      .at(f"{path}.id"))
    elif not isinstance(value, str) or not value.strip():
        errors.append(Problem(f"expected a non-empty string, got {_show(value)}", f"{zh}应为非空文本,实为 {_show(value)}")
                      .at(f"{path}.id"))
    elif len(value) > MAX_ID:
        errors.append(Problem(f"an id of {len(value):,} characters; an id has at most {MAX_ID}",
                              f"{zh}长 {len(value):,} 个字符;{zh}最多 {MAX_ID} 个字符").at(f"{path}.id"))


def _not_a(path: str, en: str, zh: str, value: Any) -> Problem:
    kind = _json_kind(value)
    return Problem(f"expected {en}, got {kind}", f"应为{zh},实为{JSON_KINDS_ZH[kind]}").at(path)


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, Decimal, LongNumber)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if value is None:
        return "null"
    return "a Python object"


def _show(value: Any) -> str:
    """A value as a message quotes it: short, whatever its size (a 5,000-digit int is not printed)."""
    if isinstance(value, (dict, list)):
        return _json_kind(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(shorten(value))
    if isinstance(value, LongNumber):
        return shorten(value.text)
    if isinstance(value, int):
        if value.bit_length() > 200:
            return f"an integer of about {int(value.bit_length() * 0.30103):,} digits"
        return shorten(str(value))
    if isinstance(value, Decimal):
        return shorten(str(value))
    if value is None:
        return "null"
    if isinstance(value, float):  # from a Parquet file or the Python API (JSON's numbers are Decimals)
        return repr(value)
    return f"a {type(value).__name__}"
