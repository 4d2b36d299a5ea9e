"""Exact money: parsing, rounding at declared points, and how figures are written."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Context, Decimal

ROUNDING_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN, "up": ROUND_UP}
WAN = Decimal(10_000)
CENT = Decimal("0.01")
WIDE = Context(prec=100)


def round_to(value: Decimal, unit: Decimal, mode: str) -> Decimal:
    """Round to a multiple of ``unit`` (0.01 元 by default), by a named mode."""
    return (value / unit).quantize(Decimal(1), rounding=ROUNDING_MODES[mode]) * unit


class Percent(Decimal):
    """A percentage input's value: the fraction (0.2), which an explanation shows as the notice writes it (20%).
    Arithmetic on it gives a plain Decimal."""

    __slots__ = ()


def percent_text(value: Decimal) -> str:
    """0.03 as 3%: the way the notice writes it."""
    return f"{(value * 100).normalize(WIDE):f}%"


def fmt_plain(value: Decimal | int) -> str:
    """``1000000`` → ``1,000,000``; ``1234.5`` → ``1,234.5`` (no trailing zeros invented). A count is an int."""
    if isinstance(value, int) or value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,f}"


def fmt_compact(value: Decimal) -> str:
    """As the notice writes figures: ``1000000`` → ``100万``; small or odd values stay plain.

    In the wide context, so that a figure of any size a policy allows is written, not refused."""
    if value != 0 and abs(value) >= WAN and WIDE.remainder(value, WAN / 100) == 0:
        wan = WIDE.divide(value, WAN).normalize(WIDE)
        return f"{wan:f}万"
    return fmt_plain(value)


def fmt_money(value: Decimal) -> str:
    """Exactly two decimals, as the output contract writes money: ``1000000.00``.

    Amounts are already rounded; the wide context only keeps a caller's narrow one out of it."""
    return f"{value.quantize(CENT, context=WIDE):f}"


def fmt_figure(value: Decimal) -> str:
    """A figure of the computation as the contract writes money, but never rounded: ``750000.125`` stays so.

    The steps before a declared rounding carry more than two decimals; writing them through
    :func:`fmt_money` would round them a second time, silently, and by another mode."""
    two = value.quantize(CENT, context=WIDE)
    return fmt_money(value) if two == value else f"{value.normalize(WIDE):f}"
