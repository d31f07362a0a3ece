"""ISO 20022 camt.054 (BankToCustomerDebitCreditNotification): incoming payments, per transaction.

Any version ``camt.054.001.02`` … ``.08`` is read (the element names used here did not change;
the debtor moved under ``Dbtr/Pty`` in version 08, both are read). Each ``TxDtls`` becomes one
payment; an entry without details is one payment of the entry amount. Credits are positive,
debits (returns, reversals) negative. Matching uses the structured creditor reference
(``RmtInf/Strd/CdtrRefInf/Ref``: OCR, KID or RF), then free text, end-to-end id, amount, debtor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from formats import xmlsafe
from formats.errors import MalformedDocument, UnsupportedDocument
from formats.xmlpaths import LocatingReader

NAMESPACE_PREFIX = "urn:iso:std:iso:20022:tech:xsd:camt.054.001."


@dataclass(frozen=True, slots=True)
class CamtPayment:
    """One credited (or debited) transaction."""

    location: str  #: XPath of its TxDtls (or Ntry) in the file
    amount: Decimal  #: negative for a debit
    currency: str
    booking_date: date | None
    value_date: date | None
    reference: str | None  #: structured creditor reference (OCR/KID/RF)
    unstructured: tuple[str, ...]
    end_to_end_id: str | None
    servicer_reference: str | None  #: the bank's unique reference: the import's idempotency key
    debtor_name: str | None
    debtor_account: str | None


def parse(data: bytes) -> list[CamtPayment]:
    root = xmlsafe.parse(data)
    namespace = etree.QName(root).namespace or ""
    if not namespace.startswith(NAMESPACE_PREFIX):
        raise UnsupportedDocument(f"not a camt.054 document (namespace {namespace!r})")
    ns = {"c": namespace}
    tree = LocatingReader(root, {"camt": namespace})  # .getpath names elements camt:…
    payments: list[CamtPayment] = []
    for entry in root.iterfind("c:BkToCstmrDbtCdtNtfctn/c:Ntfctn/c:Ntry", ns):
        status = _text(entry, "c:Sts/c:Cd", ns) or _text(entry, "c:Sts", ns)  # v08 nests the code
        if status not in (None, "BOOK"):
            continue  # pending or informational entries are not money received
        sign = -1 if _text(entry, "c:CdtDbtInd", ns) == "DBIT" else 1
        entry_amount = _amount(entry, "c:Amt", ns, tree)
        base = {
            "booking_date": _date(entry, "c:BookgDt/c:Dt", ns, tree),
            "value_date": _date(entry, "c:ValDt/c:Dt", ns, tree),
        }
        details = entry.findall("c:NtryDtls/c:TxDtls", ns)
        for detail in details or [entry]:
            amount = (
                _amount(detail, "c:AmtDtls/c:TxAmt/c:Amt", ns, tree)
                if detail is not entry
                else None
            )
            if amount is None:
                amount = _amount(detail, "c:Amt", ns, tree) if detail is not entry else None
            if amount is None:
                if len(details) > 1:
                    raise MalformedDocument(
                        "a transaction of a batched entry has no amount",
                        location=tree.getpath(detail),
                    )
                amount = entry_amount
            if amount is None:
                raise MalformedDocument("entry without an amount", location=tree.getpath(entry))
            value, currency = amount
            payments.append(
                CamtPayment(
                    location=tree.getpath(detail),
                    amount=sign * value,
                    currency=currency,
                    reference=_text(detail, "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref", ns),
                    unstructured=tuple(
                        t.text.strip() for t in detail.iterfind("c:RmtInf/c:Ustrd", ns) if t.text
                    ),
                    end_to_end_id=_not_provided(_text(detail, "c:Refs/c:EndToEndId", ns)),
                    servicer_reference=_text(detail, "c:Refs/c:AcctSvcrRef", ns)
                    or _text(entry, "c:AcctSvcrRef", ns),
                    debtor_name=_text(detail, "c:RltdPties/c:Dbtr/c:Nm", ns)
                    or _text(detail, "c:RltdPties/c:Dbtr/c:Pty/c:Nm", ns),
                    debtor_account=_text(detail, "c:RltdPties/c:DbtrAcct/c:Id/c:IBAN", ns)
                    or _text(detail, "c:RltdPties/c:DbtrAcct/c:Id/c:Othr/c:Id", ns),
                    **base,
                )
            )
    return payments


def _text(node: etree._Element, path: str, ns: dict[str, str]) -> str | None:
    found = node.find(path, ns)
    if found is None or found.text is None or not found.text.strip():
        return None
    return found.text.strip()


def _not_provided(value: str | None) -> str | None:
    return None if value in (None, "NOTPROVIDED") else value


def _amount(node, path, ns, tree) -> tuple[Decimal, str] | None:
    found = node.find(path, ns)
    if found is None or not (found.text or "").strip():
        return None
    try:
        value = Decimal(found.text.strip())
    except InvalidOperation:
        raise MalformedDocument(
            f"amount {found.text!r} is not a decimal", location=tree.getpath(found)
        ) from None
    currency = found.get("Ccy")
    if not currency:
        raise MalformedDocument(
            "amount without a Ccy currency attribute", location=tree.getpath(found)
        )
    return value, currency


def _date(node, path, ns, tree) -> date | None:
    found = node.find(path, ns)
    if found is None or not (found.text or "").strip():
        return None
    try:
        return date.fromisoformat(found.text.strip()[:10])
    except ValueError:
        raise MalformedDocument(
            f"date {found.text!r} is not YYYY-MM-DD", location=tree.getpath(found)
        ) from None
