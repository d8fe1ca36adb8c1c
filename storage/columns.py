"""Column types that behave alike on SQLite and PostgreSQL: exact decimals, UTC timestamps, compressed text."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import DateTime, LargeBinary, Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from core.errors import StorageError

DECIMAL_PLACES = 6  # a millionth of a unit or percentage point: finer than any figure the news states
DECIMAL_DIGITS = 38  # PostgreSQL numeric(38, 6): 32 integer digits, far above any money or count
_QUANTUM = Decimal(1).scaleb(-DECIMAL_PLACES)
_LIMIT = Decimal(10) ** (DECIMAL_DIGITS - DECIMAL_PLACES)
_CONTEXT = Context(prec=DECIMAL_DIGITS + 2)  # the default context keeps 28 digits; numeric(38, 6) holds 38
TEXT_COMPRESSION = 6  # zlib's default level: news text shrinks about 3x; 9 costs twice the time for ~1% more


def canonical_decimal(value: Decimal) -> Decimal:
    """The value rounded to the stored scale; raise StorageError when it cannot be stored."""
    try:
        rounded = Decimal(value).quantize(_QUANTUM, context=_CONTEXT)
    except InvalidOperation:
        rounded = Decimal("NaN")  # too many digits, or infinite
    if not rounded.is_finite() or abs(rounded) >= _LIMIT:
        raise StorageError(f"value {value} is outside the stored range (finite, |x| < 1e{_LIMIT.adjusted()})")
    return rounded


def plain_decimal(value: Decimal) -> Decimal:
    """The value without trailing zeros or exponent: 35.800000 -> 35.8, 2.23E+10 -> 22300000000."""
    if value == value.to_integral_value(context=_CONTEXT):
        return value.quantize(Decimal(1), context=_CONTEXT)
    return value.normalize(context=_CONTEXT)


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal kept exactly: numeric(38, 6) on PostgreSQL, fixed-point text on SQLite (no decimal type)."""

    impl = Numeric(DECIMAL_DIGITS, DECIMAL_PLACES, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Text on SQLite, where Numeric would pass through a float."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(DECIMAL_DIGITS + 2))
        return dialect.type_descriptor(Numeric(DECIMAL_DIGITS, DECIMAL_PLACES, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Decimal | str | None:
        """Round to the stored scale; text for SQLite so equal values compare equal."""
        if value is None:
            return None
        rounded = canonical_decimal(value)
        return format(rounded, "f") if dialect.name == "sqlite" else rounded

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        """The stored value as a plain Decimal."""
        return None if value is None else plain_decimal(Decimal(value))


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as naive UTC, so both databases return the same value."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to naive UTC; a naive value is taken to be UTC already."""
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC."""
        return None if value is None else value.replace(tzinfo=UTC)


class CompressedText(TypeDecorator[str]):
    """Text kept zlib-compressed (UTF-8): an article's extracted text, a few KB each, read back rarely."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        """Compress the UTF-8 bytes."""
        return None if value is None else zlib.compress(value.encode("utf-8"), TEXT_COMPRESSION)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> str | None:
        """Decompress; StorageError when the stored bytes are not what this type wrote."""
        if value is None:
            return None
        try:
            return zlib.decompress(value).decode("utf-8")
        except (zlib.error, UnicodeDecodeError) as exc:
            raise StorageError(f"stored article text is unreadable: {exc}") from None
