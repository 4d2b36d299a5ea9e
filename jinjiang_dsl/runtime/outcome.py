"""What one measure's computation yields for one project, whichever backend computed it."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import attrs

from .trace import Step

MeasureStatus = Literal["eligible", "not_eligible", "referred"]


class Missing(Exception):
    """A fact the computation needs was not provided; the measure is then not eligible."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


class Undefined(Exception):
    """The computation has no value (a division by zero): the measure is then not eligible."""


@attrs.frozen(slots=True)
class MeasureResult:
    status: MeasureStatus
    entitlement: Decimal | None
    warnings: tuple[Step, ...] = ()
