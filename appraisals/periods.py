"""Period codes (POLICY.md §3): ``YYYY-MM`` month, ``YYYY-Qn`` quarter, ``YYYY`` year.

Pure helpers, no Django: parsing, the months and quarters inside a period, neighbours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

# The period kinds: the one home of these names (models, the engine and the pages import them from here).
MONTH = "month"
QUARTER = "quarter"
YEAR = "year"
PERIOD_KINDS = frozenset({MONTH, QUARTER, YEAR})

_PATTERNS = (
    (re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"), MONTH),
    (re.compile(r"^(\d{4})-Q([1-4])$"), QUARTER),
    (re.compile(r"^(\d{4})$"), YEAR),
)


class PeriodCodeError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class PeriodRef:
    """A parsed period code. ``number`` is the month (1-12), the quarter (1-4) or 0 for a year."""

    year: int
    kind: str
    number: int

    @classmethod
    def parse(cls, code: str) -> PeriodRef:
        text = (code or "").strip()
        for pattern, kind in _PATTERNS:
            match = pattern.match(text)
            if match:
                year = int(match.group(1))
                if not 1900 <= year <= 2999:
                    break
                number = int(match.group(2)) if kind != YEAR else 0
                return cls(year=year, kind=kind, number=number)
        raise PeriodCodeError(f"{code!r} is not a period (use YYYY-MM, YYYY-Qn or YYYY)")

    @classmethod
    def parse_or_none(cls, code: str) -> PeriodRef | None:
        """``parse``, with None for what is not a period code."""
        try:
            return cls.parse(code)
        except PeriodCodeError:
            return None

    @classmethod
    def month(cls, year: int, month: int) -> PeriodRef:
        return cls(year=year, kind=MONTH, number=month)

    @classmethod
    def quarter(cls, year: int, quarter: int) -> PeriodRef:
        return cls(year=year, kind=QUARTER, number=quarter)

    @classmethod
    def of_year(cls, year: int) -> PeriodRef:
        return cls(year=year, kind=YEAR, number=0)

    @property
    def code(self) -> str:
        if self.kind == MONTH:
            return f"{self.year:04d}-{self.number:02d}"
        if self.kind == QUARTER:
            return f"{self.year:04d}-Q{self.number}"
        return f"{self.year:04d}"

    def __str__(self) -> str:
        return self.code

    @property
    def start(self) -> date:
        if self.kind == MONTH:
            return date(self.year, self.number, 1)
        if self.kind == QUARTER:
            return date(self.year, 3 * self.number - 2, 1)
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        """The last day inside the period."""
        return self.next().start - timedelta(days=1)

    def months(self) -> tuple[PeriodRef, ...]:
        if self.kind == MONTH:
            return (self,)
        if self.kind == QUARTER:
            first = 3 * self.number - 2
            return tuple(PeriodRef.month(self.year, m) for m in range(first, first + 3))
        return tuple(PeriodRef.month(self.year, m) for m in range(1, 13))

    def quarters(self) -> tuple[PeriodRef, ...]:
        if self.kind == QUARTER:
            return (self,)
        if self.kind == YEAR:
            return tuple(PeriodRef.quarter(self.year, q) for q in range(1, 5))
        return ()

    def parent_quarter(self) -> PeriodRef:
        if self.kind != MONTH:
            raise PeriodCodeError(f"{self.code} is not a month")
        return PeriodRef.quarter(self.year, (self.number - 1) // 3 + 1)

    def parents(self) -> tuple[PeriodRef, ...]:
        """The periods that contain this one (a month's quarter and year, a quarter's year)."""
        if self.kind == MONTH:
            return (self.parent_quarter(), PeriodRef.of_year(self.year))
        if self.kind == QUARTER:
            return (PeriodRef.of_year(self.year),)
        return ()

    def children(self) -> tuple[PeriodRef, ...]:
        """The periods that must be closed before this one (POLICY.md §3)."""
        if self.kind == QUARTER:
            return self.months()
        if self.kind == YEAR:
            return self.quarters()
        return ()

    def previous(self) -> PeriodRef:
        if self.kind == MONTH:
            if self.number == 1:
                return PeriodRef.month(self.year - 1, 12)
            return PeriodRef.month(self.year, self.number - 1)
        if self.kind == QUARTER:
            if self.number == 1:
                return PeriodRef.quarter(self.year - 1, 4)
            return PeriodRef.quarter(self.year, self.number - 1)
        return PeriodRef.of_year(self.year - 1)

    def next(self) -> PeriodRef:
        if self.kind == MONTH:
            if self.number == 12:
                return PeriodRef.month(self.year + 1, 1)
            return PeriodRef.month(self.year, self.number + 1)
        if self.kind == QUARTER:
            if self.number == 4:
                return PeriodRef.quarter(self.year + 1, 1)
            return PeriodRef.quarter(self.year, self.number + 1)
        return PeriodRef.of_year(self.year + 1)

    @property
    def last_quarter(self) -> PeriodRef | None:
        if self.kind == MONTH:
            return None
        return self.quarters()[-1]

    @property
    def baseline_quarter(self) -> PeriodRef | None:
        """The quarter a market-share delta compares with (POLICY.md §5 M5)."""
        if self.kind == QUARTER:
            return self.previous()
        if self.kind == YEAR:
            return PeriodRef.quarter(self.year - 1, 4)
        return None

    def previous_months(self, count: int) -> tuple[PeriodRef, ...]:
        """The ``count`` months before this month, most recent first."""
        result = []
        current = self
        for _ in range(count):
            current = current.previous()
            result.append(current)
        return tuple(result)
