"""Population scale: the policy as one exact SQL query (:mod:`.emit`, in each engine's :mod:`.dialect`), run
on DuckDB (:mod:`.engine`; a whole file inside DuckDB: :mod:`.native`) or Spark SQL (:mod:`.spark`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..api import Policy
    from ..decisions import ApplicantDecision
    from ..inputs import Applicant


def decide(engine: str, policy: Policy, apps: Sequence[Applicant]) -> list[ApplicantDecision]:
    """Every applicant's decision, in input order, by the policy's query on ``engine``: "duckdb" or "spark"."""
    if engine == "spark":
        from . import spark

        return spark.decide(policy, apps)
    from . import engine as duckdb

    return duckdb.decide(policy, apps)
