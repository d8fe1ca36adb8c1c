"""Reporting periods ("2025-Q3", "2025-H1", "2025-12", "2026") and loose dates ("2026-02")."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from core.errors import InputError

_PERIOD_RE = re.compile(r"^(?P<year>\d{4})(?:-(?:Q(?P<q>[1-4])|H(?P<h>[12])|(?P<m>0[1-9]|1[0-2])))?$")
_DATE_RE = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})(?:-(?P<day>\d{2}))?$")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar period: a year, a half, a quarter or a month, written as its label."""

    start: date
    end: date
    label: str

    @classmethod
    def parse(cls, label: str) -> Period:
        """Read a label such as ``2025-Q3``; raise InputError when it is not one."""
        match = _PERIOD_RE.match(label.strip())
        if match is None:
            raise InputError(f"period {label!r}: expected YYYY, YYYY-Hn, YYYY-Qn or YYYY-MM")
        year = int(match["year"])
        if match["q"]:
            return cls.quarter(year, int(match["q"]))
        if match["h"]:
            return cls.half(year, int(match["h"]))
        if match["m"]:
            return cls.month(year, int(match["m"]))
        return cls.year(year)

    @classmethod
    def year(cls, year: int) -> Period:
        """The calendar year."""
        return cls(date(year, 1, 1), date(year, 12, 31), f"{year:04d}")

    @classmethod
    def half(cls, year: int, half: int) -> Period:
        """The first (1) or second (2) half of a calendar year."""
        first = 1 if half == 1 else 7
        return cls(date(year, first, 1), _month_end(year, first + 5), f"{year:04d}-H{half}")

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        """A calendar quarter, 1 to 4."""
        first = 3 * (quarter - 1) + 1
        return cls(date(year, first, 1), _month_end(year, first + 2), f"{year:04d}-Q{quarter}")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """A calendar month."""
        return cls(date(year, month, 1), _month_end(year, month), f"{year:04d}-{month:02d}")

    @property
    def granularity(self) -> str:
        """One of ``year``, ``half``, ``quarter``, ``month``."""
        if len(self.label) == 4:
            return "year"
        return {"H": "half", "Q": "quarter"}.get(self.label[5], "month")

    def __str__(self) -> str:
        return self.label


def _month_end(year: int, month: int) -> date:
    """The last day of a month."""
    return date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True, order=True)
class LooseDate:
    """A date known to the day, or only to the month (``2026-02``)."""

    day: date
    precision: str = "day"  # "day" or "month"; a month-only date sits on the month's first day

    @classmethod
    def parse(cls, text: str) -> LooseDate:
        """Read ``YYYY-MM-DD`` or ``YYYY-MM``; raise InputError naming the text otherwise."""
        match = _DATE_RE.match(str(text).strip())
        try:
            if match is None:
                raise ValueError
            day = int(match["day"]) if match["day"] else 1
            value = date(int(match["year"]), int(match["month"]), day)
        except ValueError:
            raise InputError(f"date {text!r}: expected YYYY-MM-DD or YYYY-MM") from None
        return cls(value, "day" if match["day"] else "month")

    def __str__(self) -> str:
        return self.day.isoformat() if self.precision == "day" else self.day.isoformat()[:7]
