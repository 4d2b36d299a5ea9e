"""The Spark engine: the policy's query in Spark SQL, for populations that outgrow one machine.

The plan is emitted in Spark's dialect (:mod:`.dialect`) by the same emitter as DuckDB's query, so both
decide the same claims. The applicants are read and validated in Python as for every engine, loaded into
the query's two tables with explicit types (money ``DECIMAL(38, 20)`` from Python's ``Decimal``, exact),
and the rows become decisions by the DuckDB engine's own code (:func:`.engine.decisions`).

The query runs as its steps (:meth:`.emit.Emitter.steps`), each a view; one read more than once is
computed once (``localCheckpoint``), as DuckDB does with a CTE read twice — Spark would inline it.

Exactness rests on two settings each batch's session sets: ANSI mode (an overflow is an error, not a NULL)
and no decimal precision loss (a product keeps its full scale or fails, never rounds). A batch whose query
overflows ``DECIMAL(38)`` is decided in Python, as on DuckDB.

The Spark session is Spark's own (``getOrCreate``): under ``spark-submit``, the one it configured (its
master, its executors); otherwise a local one, ``local[2]`` unless ``SPARK_MASTER`` names a master. Each
batch runs in a session of its own on that context (``newSession``: its own settings and tables).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..decisions import ApplicantDecision
from ..inputs import Applicant
from ..plan import Plan
from .dialect import SPARK
from .emit import Emitter, emit, table_columns
from .engine import decisions, overflowed, table_rows

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.types import DataType, StructType

    from ..api import Policy

EXACT = {
    "spark.sql.ansi.enabled": "true",  # an overflow raises, instead of giving NULL
    "spark.sql.decimalOperations.allowPrecisionLoss": "false",  # a product is never rounded to fit
    "spark.sql.ansi.doubleQuotedIdentifiers": "true",  # "f_投资额" is a column, as in the emitted SQL
}
LOCAL = {  # a local session: two threads, two shuffle partitions, no web UI, progress bars or logs
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
    # no log below FATAL, from the JVM's start (a handled overflow would print its Java trace; failures still
    # raise): Spark's own defaults would print a banner and warnings first
    # (a file: URI: a space in the path is %20, never a second option)
    "spark.driver.extraJavaOptions": "-Dlog4j2.configurationFile="
                                     + Path(__file__).with_name("log4j2.properties").resolve().as_uri(),
}
DECIMAL = re.compile(r"DECIMAL\((\d+), (\d+)\)")


class Unavailable(Exception):
    """Spark cannot run here (no pyspark, or no Java); the message says what to install."""


def unavailable() -> str | None:
    """Why ``--engine spark`` cannot run here, or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "--engine spark needs pyspark: pip install 'jinjiang-dsl[spark]'"
    java_home = os.environ.get("JAVA_HOME")
    if "PYSPARK_GATEWAY_PORT" not in os.environ and shutil.which("java") is None and not (
            java_home and os.path.exists(os.path.join(java_home, "bin", "java"))):
        return "--engine spark needs Java (17 or later) on the PATH or in JAVA_HOME"
    return None


def session() -> SparkSession:
    """The Spark session queries run on: spark-submit's, or a local one (``SPARK_MASTER``, else ``local[2]``)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("jinjiang-dsl")
    if "PYSPARK_GATEWAY_PORT" not in os.environ:  # not under spark-submit, which sets the master itself
        master = os.environ.get("SPARK_MASTER", "local[2]")
        builder = builder.master(master)
        if master.startswith("local"):
            for key, value in LOCAL.items():
                builder = builder.config(key, value)
    return builder.getOrCreate()


def decide(policy: Policy, apps: Sequence[Applicant]) -> list[ApplicantDecision]:
    """Every applicant's decision, in input order, decided by the policy's query on Spark SQL."""
    missing = unavailable()
    if missing is not None:
        raise Unavailable(missing)
    from pyspark.errors import ArithmeticException

    plan = policy.plan
    emit(plan, SPARK)  # refuses, naming it, what the SQL engine does not decide
    steps, final = Emitter(plan, SPARK).steps()
    spark = session().newSession()
    for key, value in EXACT.items():
        spark.conf.set(key, value)
    for table in ("applicant", "project"):
        schema = _schema(plan, table)
        spark.createDataFrame(_rows(plan, apps, table, schema), schema).createOrReplaceTempView(table)
    quiet = logging.getLogger("SQLQueryContextLogger")  # pyspark logs an overflow's whole trace; it is handled
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        for i, (name, body) in enumerate(steps):
            frame = spark.sql(body)
            if _reads(name, [b for _, b in steps[i + 1:]] + [final]) > 1:
                frame = frame.localCheckpoint()
            frame.createOrReplaceTempView(name)
        found = spark.sql(final).collect()
    except ArithmeticException:
        return overflowed(policy, apps)
    finally:
        quiet.setLevel(level)
    return decisions(policy, apps, found)


def _reads(name: str, bodies: list[str]) -> int:
    """How often the steps ``bodies`` read the step ``name``. Spark inlines a CTE wherever it is read, and each
    rule's step reads the one before twice (the claims it leaves, those it changes), so the plan would double
    with every rule: a step read more than once is computed once instead, and read as its result."""
    return sum(len(re.findall(rf"\b(?:FROM|JOIN) {name}\b", body)) for body in bodies)


def _schema(plan: Plan, table: str) -> StructType:
    """A table's Spark schema, from the columns' types as the emitter names them."""
    from pyspark.sql.types import StructField, StructType

    return StructType([StructField(name, _type(kind)) for name, kind in table_columns(plan, table)])


def _type(kind: str) -> DataType:
    from pyspark.sql import types as t

    if (decimal := DECIMAL.fullmatch(kind)) is not None:
        return t.DecimalType(int(decimal[1]), int(decimal[2]))
    return {"BIGINT": t.LongType(), "DATE": t.DateType(), "BOOLEAN": t.BooleanType(), "VARCHAR": t.StringType(),
            "VARCHAR[]": t.ArrayType(t.StringType(), containsNull=False)}[kind]


def _rows(plan: Plan, apps: Sequence[Applicant], table: str, schema: StructType) -> list[tuple[Any, ...]]:
    """A table's rows as Spark takes them: a count in a DECIMAL column as a ``Decimal`` (exact, as every figure is)."""
    from pyspark.sql.types import DecimalType

    names = [f.name for f in schema.fields]
    decimal = [isinstance(f.dataType, DecimalType) for f in schema.fields]
    return [tuple(Decimal(v) if d and v is not None else v for v, d in zip((r[n] for n in names), decimal))
            for r in table_rows(plan, apps, table)]
