"""Input rules: good and bad values, the limits of the real columns, and the code and field of each error."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from tortoise.models import Model

from crm_graphql.models import Campaign, Customer, Order, OrderLine, Product, Ticket, User
from crm_graphql.resolvers.errors import DomainError
from crm_graphql.resolvers.validation import (
    InvalidInput,
    Problems,
    currency,
    date_range,
    non_negative_money,
    normalize_email,
    normalize_phone,
    optional_length,
    planned_in_future,
    positive_quantity,
    require_length,
    satisfaction,
)

NOW = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
FULLWIDTH = str.maketrans("0123456789", "".join(chr(0xFF10 + digit) for digit in range(10)))


def fails(code: str, field: str = "f") -> pytest.RaisesExc[DomainError]:
    """Expect a DomainError with this code and field."""
    return pytest.raises(DomainError, check=lambda error: (error.code, error.field) == (code, field))


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("030 901820", "DE", "+4930901820"),
        ("0151 23456789", "DE", "+4915123456789"),
        ("+49 (0)30 901820", "GB", "+4930901820"),
        ("00 49 30 901820", "GB", "+4930901820"),
        ("020 7946 0018", "GB", "+442079460018"),
        ("07911 123456", "gb", "+447911123456"),
        ("(201) 555-0123", "US", "+12015550123"),
        ("011 49 30 901820", "US", "+4930901820"),
        ("+33 1 42 68 53 00", "US", "+33142685300"),
        ("  +1-800-FLOWERS ", "DE", "+18003569377"),
        ("030 901820".translate(FULLWIDTH), "DE", "+4930901820"),
        ("+44 20 7946 0018", None, "+442079460018"),
    ],
)
def test_phone_numbers_become_e164(raw: str, region: str | None, e164: str) -> None:
    assert normalize_phone(raw, field="phone", default_region=region) == e164


@pytest.mark.parametrize(
    ("raw", "region", "message"),
    [
        ("12345", "DE", "'12345' is not a valid phone number (numbers without a country code are read as DE)."),
        ("+49 30", "US", "'+49 30' is not a valid phone number (numbers without a country code are read as US)."),
        (
            "030 901820",
            "US",
            "'030 901820' is not a valid phone number (numbers without a country code are read as US).",
        ),
        ("call me", "GB", "'call me' is not a phone number (numbers without a country code are read as GB)."),
        ("030 901820", None, "'030 901820' is not a phone number (include the country code)."),
        ("+1 201-555-0123 ext. 12", "US", "'+1 201-555-0123 ext. 12' has an extension, which E.164 cannot hold"),
    ],
)
def test_bad_phone_numbers_are_named_in_the_message(raw: str, region: str | None, message: str) -> None:
    with fails("INVALID", "customers.0.phone") as caught:
        normalize_phone(raw, field="customers.0.phone", default_region=region)
    assert caught.value.message.startswith(message)


@pytest.mark.parametrize("raw", ["", "   ", "\u3000"])
def test_blank_values_are_required(raw: str) -> None:
    with fails("REQUIRED"):
        normalize_phone(raw, field="f", default_region="DE")
    with fails("REQUIRED"):
        normalize_email(raw, field="f")
    with fails("REQUIRED"):
        require_length(raw, field="f", model=Customer, column="name")
    with fails("REQUIRED"):
        currency(raw, field="f")


@pytest.mark.parametrize(
    ("raw", "email"),
    [
        ("  Anna.Schmidt@Example.COM \n", "Anna.Schmidt@example.com"),
        ("o'brien+crm@sub.mail.example.co.uk", "o'brien+crm@sub.mail.example.co.uk"),
        ("Jürgen@Bäckerei-MÜLLER.de", "Jürgen@bäckerei-müller.de"),
        ("用户@例子.广告", "用户@例子.广告"),
    ],
)
def test_emails_are_stripped_with_the_domain_lower_cased(raw: str, email: str) -> None:
    assert normalize_email(raw, field="email") == email


@pytest.mark.parametrize(
    "raw",
    [
        "anna.example.com",
        "anna@@example.com",
        "anna@mail@example.com",
        "@example.com",
        "anna@localhost",
        "anna@example.",
        "anna@.example.com",
        "anna@example..com",
        "anna schmidt@example.com",
        "anna@exam\tple.com",
        "anna\u00a0@example.com",
        "anna\u200e@example.com",
    ],
)
def test_malformed_emails_are_rejected(raw: str) -> None:
    with fails("INVALID", "contacts.1.email") as caught:
        normalize_email(raw, field="contacts.1.email")
    assert caught.value.message == f"{raw!r} is not a valid email address."


def test_email_length_boundary() -> None:
    domain = "@" + "d" * 60 + ".example.com"
    longest = "a" * (254 - len(domain)) + domain
    assert normalize_email(longest, field="email") == longest
    with fails("TOO_LONG", "email") as caught:
        normalize_email("a" + longest, field="email")
    assert caught.value.message == "Must be at most 254 characters, got 255."
    assert User._meta.fields_map["email"].max_length == Customer._meta.fields_map["email"].max_length == 254  # type: ignore[attr-defined]


def test_nul_is_rejected_before_it_reaches_postgresql() -> None:
    with fails("INVALID"):
        require_length("Acme\x00 GmbH", field="f", model=Customer, column="name")
    with fails("INVALID"):
        normalize_email("anna\x00@example.com", field="f")


@pytest.mark.parametrize(
    ("model", "column"),
    [(Customer, "name"), (Customer, "address"), (Product, "sku"), (Ticket, "subject"), (Campaign, "name")],
)
def test_length_limits_come_from_the_columns(model: type[Model], column: str) -> None:
    limit = model._meta.fields_map[column].max_length  # type: ignore[attr-defined]
    assert require_length(" " + "é" * limit + "\n", field="f", model=model, column=column) == "é" * limit
    assert require_length("🙂" * limit, field="f", model=model, column=column) == "🙂" * limit
    with fails("TOO_LONG", "items.4.name") as caught:
        require_length("x" * (limit + 1), field="items.4.name", model=model, column=column)
    assert caught.value.message == f"Must be at most {limit} characters, got {limit + 1}."


def test_known_column_limits() -> None:
    assert require_length("x" * 200, field="name", model=Customer, column="name") == "x" * 200
    with fails("TOO_LONG", "sku"):
        require_length("x" * 65, field="sku", model=Product, column="sku")


def test_text_columns_have_no_limit_but_must_not_be_blank() -> None:
    long = "Steps to reproduce: " + "x" * 100_000
    assert require_length(f"\n{long}\n", field="d", model=Ticket, column="description") == long
    with pytest.raises(KeyError):
        require_length("x", field="f", model=Customer, column="no_such_column")


def test_optional_length_turns_blank_into_null() -> None:
    assert optional_length(None, field="address", model=Customer, column="address") is None
    assert optional_length(" \t ", field="address", model=Customer, column="address") is None
    assert optional_length(" Hauptstr. 1 ", field="address", model=Customer, column="address") == "Hauptstr. 1"
    with fails("TOO_LONG", "address"):
        optional_length("x" * 501, field="address", model=Customer, column="address")


@pytest.mark.parametrize(
    ("raw", "amount"),
    [
        ("12.5", Decimal("12.50")),
        (Decimal("0"), Decimal("0.00")),
        (7, Decimal("7.00")),
        ("1.500", Decimal("1.50")),
        ("1E+2", Decimal("100.00")),
        (" 3.99 ", Decimal("3.99")),
        ("-0", Decimal("0.00")),
        ("12.3".translate(FULLWIDTH), Decimal("12.30")),
        ("9999999999.99", Decimal("9999999999.99")),
    ],
)
def test_money_is_quantised_to_cents(raw: Decimal | int | str, amount: Decimal) -> None:
    result = non_negative_money(raw, field="price")
    assert result == amount
    assert str(result) == str(amount)


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        ("1.005", "INVALID", "Must have at most 2 decimal places, got 1.005."),
        ("0.001", "INVALID", "Must have at most 2 decimal places, got 0.001."),
        ("-0.01", "OUT_OF_RANGE", "Must not be negative, got -0.01."),
        ("NaN", "INVALID", "Must be a finite amount, got NaN."),
        ("sNaN", "INVALID", "Must be a finite amount, got sNaN."),
        ("Infinity", "INVALID", "Must be a finite amount, got Infinity."),
        ("-Infinity", "INVALID", "Must be a finite amount, got -Infinity."),
        ("12,50", "INVALID", "'12,50' is not an amount."),
        ("", "INVALID", "'' is not an amount."),
        ("10000000000", "OUT_OF_RANGE", "Must be at most 9999999999.99, got 10000000000."),
        ("1E+30", "OUT_OF_RANGE", "Must be at most 9999999999.99, got 1E+30."),
    ],
)
def test_bad_amounts(raw: str, code: str, message: str) -> None:
    with fails(code, "lines.2.unitPrice") as caught:
        non_negative_money(raw, field="lines.2.unitPrice")
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("model", "column", "largest"),
    [
        (Product, "unit_price", "9999999999.99"),
        (OrderLine, "unit_price", "9999999999.99"),
        (OrderLine, "line_total", "999999999999.99"),
        (Order, "total", "999999999999.99"),
        (Campaign, "budget", "999999999999.99"),
    ],
)
def test_money_bounds_come_from_the_columns(model: type[Model], column: str, largest: str) -> None:
    assert non_negative_money(largest, field="f", model=model, column=column) == Decimal(largest)
    with fails("OUT_OF_RANGE"):
        non_negative_money(Decimal(largest) + Decimal("0.01"), field="f", model=model, column=column)


def test_money_needs_a_decimal_column() -> None:
    with pytest.raises(TypeError):
        non_negative_money("1", field="f", model=Order)
    with pytest.raises(TypeError):
        non_negative_money("1", field="f", model=Order, column="currency")


@pytest.mark.parametrize("quantity", [1, 2, 1_000_000])
def test_good_quantities(quantity: int) -> None:
    assert positive_quantity(quantity, field="lines.0.quantity") == quantity


@pytest.mark.parametrize("quantity", [0, -1, 1_000_001])
def test_bad_quantities(quantity: int) -> None:
    with fails("OUT_OF_RANGE", "lines.2.quantity") as caught:
        positive_quantity(quantity, field="lines.2.quantity")
    assert caught.value.message == f"Must be between 1 and 1000000, got {quantity}."


def test_date_range() -> None:
    start = date(2025, 5, 1)
    assert date_range(start, start, field="endsOn") == (start, start)
    assert date_range(start, date(2025, 5, 31), field="endsOn") == (start, date(2025, 5, 31))
    with fails("OUT_OF_RANGE", "endsOn") as caught:
        date_range(start, date(2025, 4, 30), field="endsOn")
    assert caught.value.message == "Must be on or after the start date 2025-05-01, got 2025-04-30."


def test_planned_visits_lie_in_the_future() -> None:
    later = NOW + timedelta(minutes=1)
    assert planned_in_future(later, field="scheduledAt", now=NOW) == later
    berlin = later.astimezone(timezone(timedelta(hours=1)))
    assert planned_in_future(berlin, field="scheduledAt", now=NOW).tzinfo is UTC
    for past in (NOW, NOW - timedelta(days=1)):
        with fails("OUT_OF_RANGE", "scheduledAt"):
            planned_in_future(past, field="scheduledAt", now=NOW)
    with fails("INVALID", "scheduledAt") as caught:
        planned_in_future(later.replace(tzinfo=None), field="scheduledAt", now=NOW)
    assert "time zone" in caught.value.message


def test_satisfaction_is_one_to_five() -> None:
    assert [satisfaction(value, field="satisfaction") for value in range(1, 6)] == [1, 2, 3, 4, 5]
    for value in (0, 6, -1):
        with fails("OUT_OF_RANGE", "satisfaction") as caught:
            satisfaction(value, field="satisfaction")
        assert caught.value.message == f"Must be between 1 and 5, got {value}."


@pytest.mark.parametrize(("raw", "code"), [("EUR", "EUR"), (" usd ", "USD"), ("Chf", "CHF"), ("XTS", "XTS")])
def test_currency_codes(raw: str, code: str) -> None:
    assert currency(raw, field="currency") == code


@pytest.mark.parametrize("raw", ["EURO", "EU", "E1R", "ÄUR", "ßa", "€", "E R"])
def test_bad_currency_codes(raw: str) -> None:
    with fails("INVALID", "currency") as caught:
        currency(raw, field="currency")
    assert caught.value.message == f"{raw.strip()!r} is not a currency code; use three letters of ISO 4217, e.g. EUR."


def test_problems_collects_every_failure_of_an_input() -> None:
    problems = Problems()
    name = problems.check(require_length, "  Acme  ", field="name", model=Customer, column="name")
    email = problems.check(normalize_email, "not-an-email", field="email")
    quantities = [problems.check(positive_quantity, q, field=f"lines.{i}.quantity") for i, q in enumerate([3, 0])]
    problems.check(currency, "EURO", field="currency")
    assert (name, email, quantities) == ("Acme", None, [3, None])
    with pytest.raises(InvalidInput) as caught:
        problems.raise_if_any()
    error = caught.value
    assert (error.code, error.field) == ("INVALID_INPUT", None)
    assert [(p.field, p.code) for p in error.problems] == [
        ("email", "INVALID"),
        ("lines.1.quantity", "OUT_OF_RANGE"),
        ("currency", "INVALID"),
    ]
    assert error.message == "The input has 3 problems: email, lines.1.quantity, currency."


def test_problems_flattens_nested_inputs_and_passes_when_clean() -> None:
    inner = Problems()
    inner.check(satisfaction, 9, field="tickets.0.satisfaction")
    outer = Problems()
    outer.check(inner.raise_if_any)
    outer.add(DomainError("Taken.", field="email"))
    assert [p.field for p in outer.errors] == ["tickets.0.satisfaction", "email"]
    with pytest.raises(InvalidInput, match=r"^The input has 2 problems: tickets.0.satisfaction, email\.$"):
        outer.raise_if_any()
    Problems().raise_if_any()


def test_problems_lets_programming_errors_through() -> None:
    with pytest.raises(KeyError):
        Problems().check(require_length, "x", field="f", model=Customer, column="nope")


def test_a_single_problem_reads_naturally() -> None:
    problems = Problems()
    problems.check(positive_quantity, 0, field="quantity")
    with pytest.raises(InvalidInput, match=r"^The input has 1 problem: quantity\.$"):
        problems.raise_if_any()
