"""Currency: dated exchange rates, and claims normalised into their metric's currency.

A figure stated in another currency is converted with the rate the same article states
("RMB 380 billion (approx. US$53 billion)"), else with the rate table's rate at the claim's
as-of. The converted claim keeps what was written in ``stated_value`` / ``stated_unit``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import yaml

from core.errors import ConfigError, InputError
from core.periods import LooseDate
from core.types import Claim, FxRate

CURRENCY_RE = re.compile(r"^[A-Z]{3}$")  # ISO 4217 codes; "count" and "percent" are not currencies
WHOLE_UNIT = Decimal(1)  # money is normalised to whole currency units (eval/metrics.yaml)
BUNDLED_PACKAGE = "data"  # data/rates.yaml ships as package data; read as a file, never imported
BUNDLED_FILE = "rates.yaml"

Series = tuple[tuple[date, Decimal], ...]  # (first day a rate applies, rate), oldest first


def is_currency(unit: str) -> bool:
    """Whether a unit is an ISO currency code."""
    return bool(CURRENCY_RE.match(unit))


@dataclass(frozen=True, eq=False)
class RateTable:
    """Dated exchange rates: one unit of base is worth ``rate`` units of quote from each date on."""

    pairs: Mapping[tuple[str, str], Series]
    origin: str = "<rates>"

    @classmethod
    def load(cls, path: str | Path | Traversable) -> RateTable:
        """Read a rates YAML file; ConfigError naming the file and key when it is malformed."""
        source = Path(path) if isinstance(path, str) else path
        try:
            data = yaml.safe_load(source.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot read rates: {exc}") from None
        return cls.from_mapping(data, str(path))

    @classmethod
    def bundled(cls) -> RateTable:
        """The rate table that ships in data/rates.yaml (read as package data, so it works installed too)."""
        return cls.load(files(BUNDLED_PACKAGE).joinpath(BUNDLED_FILE))

    @classmethod
    def from_mapping(cls, data: object, origin: str = "<rates>") -> RateTable:
        """Build from ``{"rates": {"USD/CNY": {"2025-01": 7.3, ...}}}``."""
        rates = data.get("rates") if isinstance(data, dict) else None
        if not isinstance(rates, dict) or not rates:
            raise ConfigError(f"{origin}: rates: expected a mapping of 'BASE/QUOTE' to dated rates")
        pairs = {_pair(name, origin): _series(name, dated, origin) for name, dated in rates.items()}
        return cls(pairs, origin)

    def rate(self, base: str, quote: str, on: date | None = None) -> Decimal:
        """Units of quote per unit of base on a day (latest rate when ``on`` is None)."""
        base, quote = _code(base), _code(quote)
        if base == quote:
            return Decimal(1)
        for route in self._routes(base, quote):
            if all(self._known(b, q) for b, q in route):
                return _product(self._direct(b, q, on) for b, q in route)
        raise ConfigError(f"{self.origin}: no exchange rate for {base}/{quote}")

    def fx(self, base: str, quote: str, on: date | None = None) -> FxRate:
        """The rate as an FxRate, marked as coming from the table."""
        return FxRate(base, quote, self.rate(base, quote, on), on, source="table")

    def _routes(self, base: str, quote: str) -> list[list[tuple[str, str]]]:
        """The direct pair first, then through one other currency (EUR -> USD -> CNY)."""
        codes = {code for pair in self.pairs for code in pair} - {base, quote}
        return [[(base, quote)]] + [[(base, via), (via, quote)] for via in sorted(codes)]

    def _known(self, base: str, quote: str) -> bool:
        return (base, quote) in self.pairs or (quote, base) in self.pairs

    def _direct(self, base: str, quote: str, on: date | None) -> Decimal:
        """A listed pair or its inverse, at the nearest earlier date."""
        if (base, quote) in self.pairs:
            return _at(self.pairs[(base, quote)], on, f"{self.origin}: {base}/{quote}")
        return Decimal(1) / _at(self.pairs[(quote, base)], on, f"{self.origin}: {quote}/{base}")


def normalise(claim: Claim, target_unit: str, stated: Sequence[FxRate], table: RateTable) -> Claim:
    """The claim in the metric's currency, keeping what was written; other units pass through."""
    if claim.unit == target_unit or not (is_currency(claim.unit) and is_currency(target_unit)):
        return claim
    rate = stated_rate(stated, claim.unit, target_unit)
    if rate is None:
        rate = table.rate(claim.unit, target_unit, claim.as_of)
    value = (claim.value * rate).quantize(WHOLE_UNIT, rounding=ROUND_HALF_EVEN)
    return replace(claim, value=value, unit=target_unit,
                   stated_value=claim.stated_value if claim.stated_value is not None else claim.value,
                   stated_unit=claim.stated_unit or claim.unit)


def stated_rate(stated: Sequence[FxRate], base: str, quote: str) -> Decimal | None:
    """The rate an article states between two currencies (either direction); None when it states none."""
    for fx in stated:
        if fx.rate > 0 and (fx.base, fx.quote) == (base, quote):
            return fx.rate
        if fx.rate > 0 and (fx.base, fx.quote) == (quote, base):
            return Decimal(1) / fx.rate
    return None


def implied_rate(stated: Claim, equivalent: Claim) -> FxRate:
    """The rate an article implies by giving one amount in two currencies (RMB 380B ~ US$53B)."""
    if not (is_currency(stated.unit) and is_currency(equivalent.unit)) or stated.unit == equivalent.unit:
        units = f"{stated.unit} and {equivalent.unit}"
        raise InputError(f"{units}: an implied rate needs two different currencies")
    if stated.value <= 0 or equivalent.value <= 0:
        amounts = f"{stated.value} {stated.unit} ~ {equivalent.value} {equivalent.unit}"
        raise InputError(f"{amounts}: amounts must be positive")
    rate = equivalent.value / stated.value
    return FxRate(stated.unit, equivalent.unit, rate, stated.as_of, source=stated.source)


# ---------------------------------------------------------------- reading the table


def _code(unit: str) -> str:
    """An ISO currency code; InputError for anything else."""
    if not is_currency(unit):
        raise InputError(f"{unit!r} is not a currency code (expected three capitals, e.g. USD)")
    return unit


def _pair(name: object, origin: str) -> tuple[str, str]:
    """'USD/CNY' -> ('USD', 'CNY')."""
    parts = str(name).split("/")
    if len(parts) != 2 or not all(is_currency(p) for p in parts):
        raise ConfigError(f"{origin}: rates.{name}: expected a pair such as USD/CNY")
    return parts[0], parts[1]


def _series(name: object, dated: object, origin: str) -> Series:
    """The dated rates of one pair, oldest first."""
    if not isinstance(dated, dict) or not dated:
        raise ConfigError(f"{origin}: rates.{name}: expected a mapping of dates (YYYY-MM[-DD]) to rates")
    return tuple(sorted(_dated_rate(name, day, rate, origin) for day, rate in dated.items()))


def _dated_rate(name: object, day: object, rate: object, origin: str) -> tuple[date, Decimal]:
    """One (date, rate) entry, checked."""
    key = f"{origin}: rates.{name}.{day}"
    try:
        when = day if isinstance(day, date) else LooseDate.parse(str(day)).day
        value = Decimal(str(rate))
    except (InputError, InvalidOperation):
        raise ConfigError(f"{key}: expected a date key and a numeric rate, got {rate!r}") from None
    if not value.is_finite() or value <= 0:
        raise ConfigError(f"{key}: a rate must be a positive number, got {rate!r}")
    return when, value


def _at(series: Series, on: date | None, where: str) -> Decimal:
    """The rate in force on a day: the nearest earlier dated entry."""
    if on is None:
        return series[-1][1]
    index = bisect_right([day for day, _ in series], on)
    if index == 0:
        first = series[0][0].isoformat()
        raise ConfigError(f"{where}: no rate on or before {on.isoformat()} (first is {first})")
    return series[index - 1][1]


def _product(rates: Iterable[Decimal]) -> Decimal:
    """Multiply rates along a route."""
    total = Decimal(1)
    for rate in rates:
        total *= rate
    return total
