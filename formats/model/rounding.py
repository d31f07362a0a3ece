"""The one place where amounts are rounded.

EN 16931 amounts carry at most two decimals (BR-DEC-*); intermediate products (quantity × price,
base × percentage) are computed exactly with Decimal and rounded once, half up, as the CEN
validation artefacts do.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")
HUNDRED = Decimal("100")


def money(value: Decimal) -> Decimal:
    """Round an amount to two decimals, half up (the EN 16931 convention)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(base: Decimal, percentage: Decimal) -> Decimal:
    """``base × percentage / 100`` rounded to an amount."""
    return money(base * percentage / HUNDRED)


def to_decimal(value: object) -> Decimal:
    """Exact conversion of a string, int or Decimal; floats are refused (they are not exact)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool | float):
        raise TypeError(f"amounts must be strings or integers, not {type(value).__name__}")
    if isinstance(value, int | str):
        return Decimal(str(value).strip())
    raise TypeError(f"not a decimal: {type(value).__name__}")
