"""What every part of the engine shares: the Decimal context, rounding, constants and the short
texts a scorecard's inputs are written with.

Money and scores are ``Decimal`` end to end. Every score and composite is computed with
one division in a wide context and then rounded half up, so a figure that is exactly on a
half cent (e.g. 103.125) rounds up as the policy says instead of drifting with the
context's precision. The period kinds (month, quarter, year) live in ``appraisals.periods``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from functools import lru_cache

# KPI cadences (``appraisals.models.Cadence``): a monthly KPI is on every scorecard, a quarterly one
# only on quarters' and years'.
MONTHLY = "monthly"
QUARTERLY = "quarterly"

CENT = Decimal("0.01")
# KpiResult.value is kept to 8 places (the KpiScore.value column); the score is computed
# from the exact figures, not from this rounded value.
VALUE_QUANTUM = Decimal("0.00000001")
ZERO = Decimal("0")
HUNDRED = Decimal("100")

# Wide enough that every quotient whose exact value ends on a half cent is held exactly.
ENGINE_CONTEXT = Context(prec=60, traps=[InvalidOperation, DivisionByZero, Overflow])


def round_half_up(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


# The small strings every scorecard repeats are built once and shared, which keeps a
# whole-org result small (100,000 scorecards hold ~400,000 inputs mappings).
@lru_cache(maxsize=256)
def period_span(codes: tuple[str, ...]) -> str:
    if not codes:
        return ""
    return codes[0] if len(codes) == 1 else f"{codes[0]}..{codes[-1]}"


@lru_cache(maxsize=1024)
def input_key(*parts: str | None) -> str:
    return "".join(str(part) for part in parts)


@lru_cache(maxsize=1024)
def count_text(number: int) -> str:
    return str(number)


def decimal_text(amount: Decimal) -> str:
    return format(amount, "f")
