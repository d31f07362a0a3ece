"""Bankgirot BgMax: the incoming-payments file of Bankgiro Inbetalningar (80-character records).

Layout (Bankgiro Inbetalningar, technical manual; positions 1-based as the manual writes them)::

    TK01 start        3-22 "BGMAX" + version, 25-44 timestamp YYYYMMDDHHMMSSffffff, 45 T/P
    TK05 opening      3-12 payee bankgiro, 13-22 plusgiro, 23-25 currency
    TK20 payment      3-12 sender bankgiro, 13-37 reference, 38-55 amount (öre),
                      56 reference code, 57 channel, 58-69 BGC serial, 70 image flag
    TK21 deduction    same layout as TK20 plus 71 deduction code
    TK22/23 extra reference (same layout as TK20; 23 is a negative reference)
    TK25 information  3-52 free text
    TK26 name         3-37 payer name, 38-72 extra name
    TK27 address      3-37 street, 38-46 post code
    TK28 address      3-37 city, 38-72 country, 73-74 country code
    TK29 org number   3-14 payer organisation/person number
    TK15 deposit      3-37 payee bank account, 38-45 payment date, 46-50 deposit serial,
                      51-68 amount (öre), 69-71 currency, 72-79 number of payments, 80 type
    TK70 end          3-10 payments, 11-18 deductions, 19-26 extra refs, 27-34 deposits

Reference codes: 0 blank, 1 unavailable, 2 OCR reference checked by Bankgirot, 3 several
references, 4 free text, 5 incorrect reference. Amounts are öre, turned into exact Decimal kronor.
The file is ISO-8859-1. Every error names its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from formats.errors import MalformedDocument

RECORD_LENGTH = 80
MAX_FILE_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class BgMaxPayment:
    """One payment (TK20) or deduction (TK21, negative amount) with what came with it."""

    line: int
    sender_bankgiro: str
    reference: str
    reference_code: str  #: "2" means Bankgirot verified the OCR reference
    amount: Decimal  #: kronor; deductions are negative
    channel: str
    serial: str  #: BGC serial number, unique per payment: the import's idempotency key
    payment_date: date | None = None
    currency: str = "SEK"
    extra_references: tuple[str, ...] = ()
    information: tuple[str, ...] = ()
    payer_name: str | None = None
    payer_address: tuple[str, ...] = ()
    payer_org_number: str | None = None

    @property
    def verified_ocr(self) -> bool:
        return self.reference_code == "2"


@dataclass(frozen=True, slots=True)
class BgMaxDeposit:
    """A deposit (section TK05 … TK15): payments credited to one payee account on one date."""

    payee_bankgiro: str
    currency: str
    payment_date: date
    serial: str
    amount: Decimal
    payments: tuple[BgMaxPayment, ...]


@dataclass(frozen=True, slots=True)
class BgMaxFile:
    created: datetime
    test: bool
    deposits: tuple[BgMaxDeposit, ...] = field(default=())

    @property
    def payments(self) -> tuple[BgMaxPayment, ...]:
        return tuple(p for d in self.deposits for p in d.payments)


class _Parser:
    def __init__(self) -> None:
        self.created: datetime | None = None
        self.test = False
        self.deposits: list[BgMaxDeposit] = []
        self.section: dict | None = None
        self.payments: list[dict] = []
        self.counts = {"20": 0, "21": 0, "22": 0, "15": 0}
        self.ended = False

    def feed(self, number: int, record: str) -> None:
        kind = record[:2]
        handler = getattr(self, f"_tk{kind}", None)
        if handler is None:
            raise MalformedDocument(
                f"unknown BgMax record type {kind!r}", location=f"line {number}"
            )
        if kind != "01" and self.created is None:
            raise MalformedDocument(
                "BgMax file must start with a TK01 record", location=f"line {number}"
            )
        handler(number, record)

    def _tk01(self, number: int, r: str) -> None:
        if r[2:7] != "BGMAX":
            raise MalformedDocument("TK01 does not say BGMAX", location=f"line {number}")
        self.created = _timestamp(r[24:44], number)
        self.test = r[44:45] == "T"

    def _tk05(self, number: int, r: str) -> None:
        if self.section is not None:
            raise MalformedDocument(
                "TK05 opens a deposit before the previous TK15 closed it", location=f"line {number}"
            )
        self.section = {"bankgiro": _digits(r[2:12]), "currency": r[22:25].strip() or "SEK"}
        self.payments = []

    def _payment(self, number: int, r: str, sign: int) -> dict:
        if self.section is None:
            raise MalformedDocument(
                "payment record outside a deposit (no TK05)", location=f"line {number}"
            )
        payment = {
            "line": number,
            "sender_bankgiro": _digits(r[2:12]),
            "reference": r[12:37].strip(),
            "amount": sign * _ore(r[37:55], number),
            "reference_code": r[55:56].strip() or "0",
            "channel": r[56:57].strip(),
            "serial": r[57:69].strip(),
            "extra_references": [],
            "information": [],
            "payer_address": [],
        }
        self.payments.append(payment)
        return payment

    def _tk20(self, number: int, r: str) -> None:
        self._payment(number, r, 1)
        self.counts["20"] += 1

    def _tk21(self, number: int, r: str) -> None:
        self._payment(number, r, -1)
        self.counts["21"] += 1

    def _current(self, number: int) -> dict:
        if not self.payments:
            raise MalformedDocument(
                "record belongs to a payment but none precedes it", location=f"line {number}"
            )
        return self.payments[-1]

    def _tk22(self, number: int, r: str) -> None:
        self._current(number)["extra_references"].append(r[12:37].strip())
        self.counts["22"] += 1

    def _tk23(self, number: int, r: str) -> None:
        self._current(number)["extra_references"].append("-" + r[12:37].strip())
        self.counts["22"] += 1

    def _tk25(self, number: int, r: str) -> None:
        self._current(number)["information"].append(r[2:52].strip())

    def _tk26(self, number: int, r: str) -> None:
        self._current(number)["payer_name"] = " ".join(
            p for p in (r[2:37].strip(), r[37:72].strip()) if p
        )

    def _tk27(self, number: int, r: str) -> None:
        self._current(number)["payer_address"] += [r[2:37].strip(), r[37:46].strip()]

    def _tk28(self, number: int, r: str) -> None:
        self._current(number)["payer_address"] += [
            r[2:37].strip(),
            r[37:72].strip(),
            r[72:74].strip(),
        ]

    def _tk29(self, number: int, r: str) -> None:
        # Organisation numbers are right-aligned in 12 positions; personal numbers fill them.
        self._current(number)["payer_org_number"] = r[2:14].strip().removeprefix("00")

    def _tk15(self, number: int, r: str) -> None:
        if self.section is None:
            raise MalformedDocument(
                "TK15 closes a deposit that was never opened", location=f"line {number}"
            )
        payment_date = _date(r[37:45], number)
        currency = r[68:71].strip() or self.section["currency"]
        payments = tuple(
            BgMaxPayment(
                payment_date=payment_date,
                currency=currency,
                extra_references=tuple(p.pop("extra_references")),
                information=tuple(p.pop("information")),
                payer_address=tuple(a for a in p.pop("payer_address") if a),
                **p,
            )
            for p in self.payments
        )
        expected = r[71:79].strip()
        if expected and int(expected) != len(payments):
            raise MalformedDocument(
                f"TK15 says {int(expected)} payments, the deposit holds {len(payments)}",
                location=f"line {number}",
            )
        self.deposits.append(
            BgMaxDeposit(
                payee_bankgiro=self.section["bankgiro"],
                currency=currency,
                payment_date=payment_date,
                serial=r[45:50].strip(),
                amount=_ore(r[50:68], number),
                payments=payments,
            )
        )
        self.section = None
        self.payments = []
        self.counts["15"] += 1

    def _tk70(self, number: int, r: str) -> None:
        if self.section is not None:
            raise MalformedDocument(
                "TK70 ends the file inside an open deposit", location=f"line {number}"
            )
        for label, (start, end), key in (
            ("payments", (2, 10), "20"),
            ("deductions", (10, 18), "21"),
            ("extra references", (18, 26), "22"),
            ("deposits", (26, 34), "15"),
        ):
            text = r[start:end].strip()
            if text and int(text) != self.counts[key]:
                raise MalformedDocument(
                    f"TK70 counts {int(text)} {label}, the file holds {self.counts[key]}",
                    location=f"line {number}",
                )
        self.ended = True


def parse(data: bytes) -> BgMaxFile:
    """Parse a BgMax file; MalformedDocument names the line of the first problem."""
    if len(data) > MAX_FILE_BYTES:
        raise MalformedDocument(f"BgMax file is {len(data)} bytes; the limit is {MAX_FILE_BYTES}")
    text = data.decode("iso-8859-1")
    parser = _Parser()
    for number, raw in enumerate(text.splitlines(), start=1):
        record = raw.rstrip("\r\n")
        if not record.strip():
            continue
        if len(record) > RECORD_LENGTH:
            raise MalformedDocument(
                f"record is {len(record)} characters; BgMax records are 80",
                location=f"line {number}",
            )
        parser.feed(number, record.ljust(RECORD_LENGTH))
    if parser.created is None:
        raise MalformedDocument("empty BgMax file (no TK01 record)")
    if not parser.ended:
        raise MalformedDocument("BgMax file has no TK70 end record: it may be truncated")
    return BgMaxFile(created=parser.created, test=parser.test, deposits=tuple(parser.deposits))


def _digits(text: str) -> str:
    return text.strip().lstrip("0")


def _ore(text: str, number: int) -> Decimal:
    digits = text.strip()
    if not digits.isdigit():
        raise MalformedDocument(
            f"amount {text!r} is not a number of öre", location=f"line {number}"
        )
    return Decimal(int(digits)).scaleb(-2)


def _date(text: str, number: int) -> date:
    try:
        return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise MalformedDocument(
            f"payment date {text!r} is not YYYYMMDD", location=f"line {number}"
        ) from None


def _timestamp(text: str, number: int) -> datetime:
    try:
        # Bankgirot writes Swedish local time.
        stamp = datetime.strptime(text[:14], "%Y%m%d%H%M%S").replace(
            tzinfo=ZoneInfo("Europe/Stockholm")
        )
        return stamp.astimezone(UTC)
    except ValueError:
        raise MalformedDocument(
            f"TK01 timestamp {text!r} is not YYYYMMDDHHMMSS", location=f"line {number}"
        ) from None
