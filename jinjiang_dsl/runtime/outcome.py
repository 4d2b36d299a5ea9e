"""What one measure's computation yields for one project, whichever backend computed it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

import attrs

from .trace import Step

MeasureStatus = Literal["eligible", "not_eligible", "referred"]


class Missing(Exception):
    """A fact the computation needs was not provided; the measure is then not eligible."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


class Undefined(Exception):
    """A division by zero: the inputs the divisor is made of are 0, which is an input problem of the
    applicant (clause-shapes.md, S3), never a silent "not eligible". ``names`` are those inputs."""

    def __init__(self, names: tuple[str, ...]):
        super().__init__(*names)
        self.names = names
        self.where: tuple[Any, str] | None = None  # (project, measure id), set by the decider


@attrs.frozen(slots=True)
class MeasureResult:
    status: MeasureStatus
    entitlement: Decimal | None
    warnings: tuple[Step, ...] = ()
