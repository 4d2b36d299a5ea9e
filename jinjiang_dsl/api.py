"""The Python API for embedding: load a policy, evaluate applications, get decisions.

    >>> from jinjiang_dsl import load_policy
    >>> policy = load_policy("policies/jinjiang_2023.pol")
    >>> batch = policy.evaluate({"applicants": [...]})
    >>> batch.to_json(lang="en")
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from .ast import Span
from .check import CheckedPolicy, check
from .decide import Backend, BatchTotals, Decider
from .decisions import ApplicantDecision, BatchDecision
from .diagnostics import Diagnostic, PolicyError
from .inputs import Applicant, Validator, read_document, records_of
from .interpret import assertion_checker, interpreted_backend
from .limits import MAX_POLICY_BYTES, MAX_PROJECTS, TooLarge, read_bounded
from .plan import Plan, build_plan
from .rules import Earlier
from .syntax import parse

BackendName = Literal["compiled", "interpreter"]
BACKENDS: tuple[BackendName, ...] = ("compiled", "interpreter")
EngineName = Literal["python", "duckdb", "spark"]
ENGINES: tuple[EngineName, ...] = ("python", "duckdb", "spark")


def check_source(source: str, path: str = "<policy>") -> list[Diagnostic]:
    """Every problem in one policy source, syntax or meaning, in source order."""
    try:
        policy = parse(source, path)
    except PolicyError as exc:
        return list(exc.diagnostics)
    return list(check(policy).diagnostics)


class Policy:
    """A checked policy, ready to evaluate applications."""

    def __init__(self, checked: CheckedPolicy, backend: BackendName = "compiled", *,
                 max_projects: int = MAX_PROJECTS):
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        self.checked = checked
        self.plan: Plan = build_plan(checked)
        self.backend_name = backend
        self._backend: Backend | None = None
        self._deciders: dict[bool, Decider] = {}
        self.validator = Validator(self.plan, assertion_checker(self.plan), max_projects)

    @property
    def name(self) -> str:
        return self.plan.name.zh

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            if self.backend_name == "interpreter":
                self._backend = interpreted_backend(self.plan)
            else:
                from .compile import compiled_backend

                self._backend = compiled_backend(self.plan)
        return self._backend

    def decider(self, trace: bool = True) -> Decider:
        """The policy's decider, made once per trace flag: it prepares per measure and remembers per
        date, so evaluating one applicant (or example) after another reuses that work."""
        found = self._deciders.get(trace)
        if found is None:
            found = self._deciders[trace] = Decider(self.plan, self.backend, trace=trace)
        return found

    def read(self, records: Iterable[Any], start: int = 0) -> Iterator[Applicant]:
        """Validate applicant records (JSON values) against the policy's inputs."""
        return self.validator.applicants(records, start)

    def evaluate_applicant(self, record: Any, index: int = 0, trace: bool = True) -> ApplicantDecision:
        """One applicant record (a dict as in the input contract)."""
        app = next(iter(self.read([record], index)))
        return self.decider(trace).applicant(app)

    def evaluate(self, document: str | bytes | dict[str, Any] | list[Any], trace: bool = True) -> BatchDecision:
        """A whole applications document: JSON text (or its UTF-8 bytes), or the parsed object.

        Raises :class:`jinjiang_dsl.inputs.DocumentError` when it is not an applications document.
        """
        return self.run(document, trace)[1]

    def run(self, document: str | bytes | dict[str, Any] | list[Any], trace: bool = True,
            earlier: Callable[[Applicant], tuple[Earlier, ...]] | None = None,
            selected_before: Callable[[list[Applicant]], dict[tuple[str, str, int], list[str]]] | None = None,
            engine: EngineName = "python") -> tuple[list[Applicant], BatchDecision]:
        """As :meth:`evaluate`, also returning the applicants as read (reports need their facts). From the
        decision register: ``earlier`` gives what earlier batches granted an applicant, for the rules that
        span rounds; ``selected_before``, given the applicants, the projects earlier batches selected under
        each quota. ``engine="duckdb"`` (or ``"spark"``) decides them by the policy's SQL query on DuckDB
        (on Spark SQL), without explanations (:mod:`jinjiang_dsl.sql`; it raises
        :class:`jinjiang_dsl.sql.emit.Unsupported` for a policy it cannot decide yet)."""
        records = read_document(document) if isinstance(document, (str, bytes)) else records_of(document)
        apps = list(self.read(records))
        return apps, self.decide(apps, trace, earlier, selected_before, engine)

    def decide(self, apps: list[Applicant], trace: bool = True,
               earlier: Callable[[Applicant], tuple[Earlier, ...]] | None = None,
               selected_before: Callable[[list[Applicant]], dict[tuple[str, str, int], list[str]]] | None = None,
               engine: EngineName = "python") -> BatchDecision:
        """Applicants already read (and validated) decided as one batch, as :meth:`run` decides them.

        Raises ``ValueError`` for an engine other than those of :data:`ENGINES` (a misspelt one would
        otherwise be taken for DuckDB, silently without explanations)."""
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
        decisions = []
        before = selected_before(apps) if selected_before is not None else {}
        totals = BatchTotals(self.plan, quota_claims={k: list(v) for k, v in before.items()})
        if engine != "python":
            from . import sql

            decided: Iterable[ApplicantDecision] = sql.decide(engine, self, apps)
        else:
            decided = self.decider(trace).applicants(apps, earlier)
        for app, decision in zip(apps, decided):
            totals.add(app, decision)
            decisions.append(decision)
        return BatchDecision(self.plan.name.zh, self.plan.source_sha256, tuple(decisions), totals.summary())


def load_policy(path: str | Path, *, strict: bool = False, backend: BackendName = "compiled",
                max_projects: int = MAX_PROJECTS) -> Policy:
    """Read, check and prepare a ``.pol`` file.

    Raises :class:`PolicyError` when it has errors (or warnings, with ``strict``, or when it is
    larger than the policy size limit); ``OSError``/``UnicodeDecodeError`` when it cannot be
    read; ``ValueError`` for a backend name that does not exist.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    path = Path(path)
    try:
        source = read_bounded(str(path), MAX_POLICY_BYTES)
    except TooLarge as exc:
        where = Span(path=str(path), line=1, column=1, end_line=1, end_column=2)
        raise PolicyError([Diagnostic(severity="error", message=f"the policy is {exc}", span=where)], {}) from None
    return policy_from_source(source, str(path), strict=strict, backend=backend, max_projects=max_projects)


def policy_from_source(source: str, path: str = "<policy>", *, strict: bool = False, backend: BackendName = "compiled",
                       max_projects: int = MAX_PROJECTS) -> Policy:
    """A policy from its text (as the decision register keeps it); ``path`` names it in messages."""
    checked = check(parse(source, path))
    blocking = checked.diagnostics if strict else checked.errors
    if blocking:
        raise PolicyError(checked.diagnostics, {path: source})
    return Policy(checked, backend, max_projects=max_projects)
