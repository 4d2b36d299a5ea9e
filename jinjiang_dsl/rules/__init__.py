"""The rules that act on an applicant's claims after each measure's own computation.

A plan lists them in the order they apply; each kind is a record class in a module of its own.
"""

from __future__ import annotations

from .annual_cap import AnnualCap
from .base import (
    EARLIER_MESSAGES,
    Allocation,
    Change,
    Claim,
    Earlier,
    Effect,
    Evaluation,
    Part,
    Rule,
    allocation,
    largest_remainder,
)
from .highest import HighestNotStacked
from .limit import Limit
from .once import Once
from .validity import Validity

KINDS: tuple[type[Rule], ...] = (Validity, Once, HighestNotStacked, AnnualCap, Limit)
MESSAGES: dict[str, tuple[str, str]] = {**{k: v for kind in KINDS for k, v in kind.MESSAGES.items()},
                                        **EARLIER_MESSAGES}

__all__ = ["Allocation", "AnnualCap", "Change", "Earlier", "Part", "allocation", "Claim", "Effect", "Evaluation", "HighestNotStacked", "KINDS", "Limit", "MESSAGES", "Once",
           "Rule", "Validity", "largest_remainder"]
