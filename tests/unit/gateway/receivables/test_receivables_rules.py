from datetime import date
from decimal import Decimal

import pytest

from gateway.receivables.cadence import next_step
from gateway.receivables.interest import (
    CustomerType,
    RateMissing,
    compensation,
    late_interest,
    reminder_fee,
)
from gateway.receivables.matching import IncomingPayment, Matcher, MatchKind, OpenItem
from gateway.receivables.references import (
    OcrPolicy,
    ReferenceError,
    kid,
    ocr,
    valid_bankgiro,
    validate_kid,
    validate_ocr,
)


def test_ocr_with_length_digit_and_luhn():
    # Bankgirot's example: base 12345 → length digit 7, check digit 4
    assert ocr("12345") == "1234574"
    assert ocr("12345", OcrPolicy(length_digit=False)) == "123455"
    validate_ocr("1234574")
    with pytest.raises(ReferenceError, match="check digit"):
        validate_ocr("1234575")
    with pytest.raises(ReferenceError, match="length digit"):
        validate_ocr("123455")  # valid Luhn, but no length digit
    with pytest.raises(ReferenceError, match="lengths"):
        validate_ocr("1234574", OcrPolicy(fixed_lengths=(10,)))


def test_kid_mod10_and_mod11():
    assert kid("1234567", "MOD10") == "12345674"
    validate_kid(kid("20261001", "MOD11"), "MOD11")
    with pytest.raises(ReferenceError):
        validate_kid("12345675", "MOD10")
    assert valid_bankgiro("5050-1055") and not valid_bankgiro("5050-1056")


def test_interest_across_a_half_year_boundary_uses_each_half_years_rate():
    # due 2025-06-20, paid 2025-07-10: 10 days in H1 (2.50 + 8) and 10 days in H2 (2.00 + 8)
    result = late_interest(Decimal("10000.00"), date(2025, 6, 20), date(2025, 7, 10))
    h1, h2 = result.parts
    assert (h1.days, h1.rate, h2.days, h2.rate) == (10, Decimal("10.50"), 10, Decimal("10.00"))
    expected = (
        Decimal("10000") * Decimal("10.5") / 100 * 10 / 365
        + Decimal("10000") * Decimal("10") / 100 * 10 / 365
    )
    assert result.amount == expected.quantize(Decimal("0.01"))
    assert result.amount == Decimal("56.16")


def test_agreed_rate_wins_and_unknown_periods_are_refused():
    assert late_interest(
        Decimal("1000"), date(2024, 1, 31), date(2024, 3, 1), agreed_rate=Decimal("12")
    ).amount == Decimal("9.86")
    with pytest.raises(RateMissing):
        late_interest(Decimal("1000"), date(2030, 1, 1), date(2030, 2, 1))


def test_fees_follow_the_law():
    assert compensation(CustomerType.COMPANY, already_charged=False) == Decimal("450")
    assert compensation(CustomerType.PUBLIC, already_charged=False) == Decimal("450")
    assert compensation(CustomerType.CONSUMER, already_charged=False) == 0
    assert compensation(CustomerType.COMPANY, already_charged=True) == 0
    assert reminder_fee(agreed=False) == 0
    assert reminder_fee(agreed=True, agreed_amount=Decimal("100")) == Decimal("60")


def test_matching_by_reference_partial_overpayment_and_amount():
    items = [
        OpenItem("a", "1234574", "5567321707", "SEK", Decimal("100.00")),
        OpenItem("b", "555123", "5567321707", "SEK", Decimal("250.00")),
        OpenItem("c", None, "5560360793", "SEK", Decimal("80.00")),
    ]
    m = Matcher.of(items)
    partial = m.match(IncomingPayment("p1", Decimal("40.00"), "SEK", "1234574", None))
    assert (partial.kind, partial.item_id, partial.remaining_open) == (
        MatchKind.REFERENCE,
        "a",
        Decimal("60.00"),
    )
    over = m.match(IncomingPayment("p2", Decimal("300.00"), "SEK", "555 123", None))
    assert (over.item_id, over.applied, over.unapplied) == (
        "b",
        Decimal("250.00"),
        Decimal("50.00"),
    )
    by_amount = m.match(IncomingPayment("p3", Decimal("80.00"), "SEK", "FAKTURA C", "5560360793"))
    assert (by_amount.kind, by_amount.item_id) == (MatchKind.AMOUNT, "c")
    stray = m.match(IncomingPayment("p4", Decimal("80.00"), "SEK", "FAKTURA C", "5560360793"))
    assert stray.kind is MatchKind.UNMATCHED, "the item is already paid"


def test_cadence_has_three_reminders_before_collection_and_stops_on_payment():
    due = date(2026, 11, 1)
    assert next_step(CustomerType.COMPANY, due, 0, date(2026, 11, 3), Decimal("10")) is None
    assert (
        next_step(CustomerType.COMPANY, due, 0, date(2026, 11, 4), Decimal("10")).kind == "friendly"
    )
    assert [
        next_step(CustomerType.COMPANY, due, n, date(2027, 1, 1), Decimal("1")).kind
        for n in range(4)
    ] == ["friendly", "reminder", "final_notice", "collection"]
    assert next_step(CustomerType.COMPANY, due, 1, date(2027, 1, 1), Decimal("0")) is None
