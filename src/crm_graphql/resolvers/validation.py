"""Input rules for mutations: each returns the normalised value or raises a ValidationFailed naming the field.

The caller passes the field path (e.g. `lines.2.quantity`), so an error says exactly which item is wrong,
and `Problems` gathers every failure of one input so that the client sees them all in one response.
Codes: REQUIRED (empty), TOO_LONG, OUT_OF_RANGE (well-formed but beyond a bound), INVALID (malformed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import ParamSpec, TypeVar

import phonenumbers
from tortoise.fields import DecimalField
from tortoise.models import Model

from crm_graphql.resolvers.errors import DomainError

P = ParamSpec("P")
T = TypeVar("T")

EMAIL_MAX_LENGTH = 254  # the longest address SMTP can route (RFC 5321); the email columns' length too
MAX_QUANTITY = 1_000_000
MONEY_DIGITS = 12  # the narrower money column (prices), for callers that name none
MONEY_PLACES = 2


class ValidationFailed(DomainError):
    """An input value is malformed."""

    code = "INVALID"


class Required(ValidationFailed):
    code = "REQUIRED"


class TooLong(ValidationFailed):
    code = "TOO_LONG"


class OutOfRange(ValidationFailed):
    code = "OUT_OF_RANGE"


class InvalidInput(DomainError):
    """Several values of one input are invalid; `problems` holds each failure with its own field and code."""

    code = "INVALID_INPUT"

    def __init__(self, problems: Sequence[DomainError]) -> None:
        self.problems = list(problems)
        fields = ", ".join(problem.field or "input" for problem in self.problems)
        noun = "problem" if len(self.problems) == 1 else "problems"
        super().__init__(f"The input has {len(self.problems)} {noun}: {fields}.")


class Problems:
    """Collects the failures of one input, to report them all at once."""

    def __init__(self) -> None:
        self.errors: list[DomainError] = []

    def check(self, rule: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
        """The rule's result, or None after recording its failure."""
        try:
            return rule(*args, **kwargs)
        except DomainError as error:
            self.add(error)
            return None

    def add(self, error: DomainError) -> None:
        self.errors.extend(error.problems if isinstance(error, InvalidInput) else [error])

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)


def _text(value: str, field: str) -> str:
    text = value.strip()
    if not text:
        raise Required("Must not be empty.", field)
    if "\x00" in text:
        # PostgreSQL cannot store NUL in text: it would fail as a server error instead.
        raise ValidationFailed("Must not contain NUL characters.", field)
    return text


def require_length(value: str, *, field: str, model: type[Model], column: str) -> str:
    """`value` stripped, not empty, and no longer than the column's `max_length` (if it has one)."""
    text = _text(value, field)
    limit: int | None = getattr(model._meta.fields_map[column], "max_length", None)
    if limit is not None and len(text) > limit:
        raise TooLong(f"Must be at most {limit} characters, got {len(text)}.", field)
    return text


def optional_length(value: str | None, *, field: str, model: type[Model], column: str) -> str | None:
    """Like `require_length` for a nullable column: None or blank becomes None."""
    if value is None or not value.strip():
        return None
    return require_length(value, field=field, model=model, column=column)


def normalize_phone(value: str, *, field: str, default_region: str | None) -> str:
    """The number in E.164 (`+4930901820`); numbers without a country code are read in `default_region`."""
    text = _text(value, field)
    region = default_region.upper() if default_region else None
    hint = f"numbers without a country code are read as {region}" if region else "include the country code"
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValidationFailed(f"{text!r} is not a phone number ({hint}).", field) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed(f"{text!r} is not a valid phone number ({hint}).", field)
    if number.extension:
        raise ValidationFailed(f"{text!r} has an extension, which E.164 cannot hold; leave it out.", field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(value: str, *, field: str) -> str:
    """`value` stripped with its domain lower-cased, after a pragmatic syntax check (not full RFC 5322)."""
    text = _text(value, field)
    if len(text) > EMAIL_MAX_LENGTH:
        raise TooLong(f"Must be at most {EMAIL_MAX_LENGTH} characters, got {len(text)}.", field)
    local, _, domain = text.rpartition("@")
    if (
        text.count("@") != 1
        or not local
        or any(char.isspace() or not char.isprintable() for char in text)
        or "." not in domain
        or "" in domain.split(".")
    ):
        raise ValidationFailed(f"{text!r} is not a valid email address.", field)
    return f"{local}@{domain.lower()}"


def non_negative_money(
    value: Decimal | int | str, *, field: str, model: type[Model] | None = None, column: str | None = None
) -> Decimal:
    """`value` as a Decimal with the column's decimal places; more places are rejected, never rounded away.

    The bounds come from `model.column` when given, else from a 12-digit column with 2 places.
    """
    if (model is None) != (column is None):
        raise TypeError("pass both model and column, or neither")
    digits, places = MONEY_DIGITS, MONEY_PLACES
    if model is not None and column is not None:
        money_field = model._meta.fields_map[column]
        if not isinstance(money_field, DecimalField):
            raise TypeError(f"{model.__name__}.{column} is not a DecimalField")
        digits, places = money_field.max_digits, money_field.decimal_places
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValidationFailed(f"{value!r} is not an amount.", field) from None
    if not amount.is_finite():
        raise ValidationFailed(f"Must be a finite amount, got {amount}.", field)
    if amount < 0:
        raise OutOfRange(f"Must not be negative, got {amount}.", field)
    step = Decimal(1).scaleb(-places)
    largest = Decimal(10) ** (digits - places) - step
    if amount > largest:
        raise OutOfRange(f"Must be at most {largest}, got {amount}.", field)
    rounded = amount.quantize(step)
    if rounded != amount:
        raise ValidationFailed(f"Must have at most {places} decimal places, got {amount}.", field)
    return rounded.copy_abs()  # -0 is not negative, but shows as "-0.00"


def positive_quantity(value: int, *, field: str) -> int:
    """A line quantity: 1 to 1,000,000."""
    if not 1 <= value <= MAX_QUANTITY:
        raise OutOfRange(f"Must be between 1 and {MAX_QUANTITY}, got {value}.", field)
    return value


def date_range(starts_on: date, ends_on: date, *, field: str) -> tuple[date, date]:
    """The two dates, if the range ends on or after its start; `field` names the end."""
    if ends_on < starts_on:
        raise OutOfRange(f"Must be on or after the start date {starts_on.isoformat()}, got {ends_on}.", field)
    return starts_on, ends_on


def planned_in_future(scheduled_at: datetime, *, field: str, now: datetime) -> datetime:
    """The time of a planned visit, in UTC; it must carry a time zone and be later than `now`."""
    if scheduled_at.utcoffset() is None:
        raise ValidationFailed("Must include a time zone offset, e.g. 2030-03-01T09:00:00+01:00.", field)
    if scheduled_at <= now:
        raise OutOfRange(f"A planned visit must be in the future, got {scheduled_at.isoformat()}.", field)
    return scheduled_at.astimezone(UTC)


def satisfaction(value: int, *, field: str) -> int:
    """A customer's rating of a ticket: 1 to 5."""
    if not 1 <= value <= 5:
        raise OutOfRange(f"Must be between 1 and 5, got {value}.", field)
    return value


def currency(value: str, *, field: str) -> str:
    """An ISO 4217 code, upper-cased.

    Only the shape (three ASCII letters) is checked: the CRM stores amounts but never converts them,
    and a fixed list of codes would go stale as currencies are introduced and withdrawn.
    """
    text = _text(value, field)
    if len(text) != 3 or not (text.isascii() and text.isalpha()):
        raise ValidationFailed(f"{text!r} is not a currency code; use three letters of ISO 4217, e.g. EUR.", field)
    return text.upper()
