"""BgMax parsing. The sample file was written field by field from the Bankgiro Inbetalningar
layout (see the table in formats/bank/bgmax.py): two deposits, an OCR payment with payer name,
address and organisation number, a free-text payment with an extra reference (TK22) and an
information record (TK25), and a payment with a deduction (TK21)."""

from decimal import Decimal
from pathlib import Path

import pytest

from formats.bank.bgmax import parse
from formats.errors import MalformedDocument

SAMPLE = Path(__file__).resolve().parents[3] / "data" / "bank" / "bgmax_two_deposits.txt"


def test_sample_file_payments_deposits_and_payer_details():
    f = parse(SAMPLE.read_bytes())
    assert not f.test
    assert [d.amount for d in f.deposits] == [Decimal("6449.00"), Decimal("1150.50")]
    ocr, free_text, paid, deduction = f.payments
    assert ocr.verified_ocr and ocr.reference == "1234567897" and ocr.amount == Decimal("6250.00")
    assert ocr.payer_name == "Johnssons Byggvaror AB"
    assert ocr.payer_org_number == "5567321707"
    assert ocr.payer_address[0] == "Rådhusgatan 5"  # ISO-8859-1 decoded
    assert not free_text.verified_ocr and free_text.extra_references == ("20261003",)
    assert free_text.information == ("Betalning avser faktura 2026-1002 och 2026-1003",)
    assert deduction.amount == Decimal("-50.00") and paid.serial != deduction.serial
    assert {p.payment_date.isoformat() for p in f.payments} == {"2026-11-20", "2026-11-21"}


def _lines() -> list[str]:
    return SAMPLE.read_bytes().decode("iso-8859-1").splitlines()


def _broken(index: int, replacement: str) -> bytes:
    lines = _lines()
    lines[index] = replacement
    return "\r\n".join(lines).encode("iso-8859-1")


@pytest.mark.parametrize(
    ("index", "replacement", "message", "line"),
    [
        (2, _lines()[2][:37] + "00000000000000X000" + _lines()[2][55:], "öre", 3),
        (0, "01NOTBGMAX", "BGMAX", 1),
        (10, _lines()[10][:37] + "20261340" + _lines()[10][45:], "YYYYMMDD", 11),
        (15, "70" + "00000009" + _lines()[15][10:], "counts 9 payments", 16),
        (3, "99" + " " * 78, "unknown BgMax record", 4),
    ],
)
def test_malformed_records_name_their_line(index, replacement, message, line):
    with pytest.raises(MalformedDocument) as err:
        parse(_broken(index, replacement))
    assert message in str(err.value)
    assert err.value.location == f"line {line}"


def test_truncated_file_is_refused():
    with pytest.raises(MalformedDocument, match="truncated"):
        parse("\r\n".join(_lines()[:-1]).encode("iso-8859-1"))
