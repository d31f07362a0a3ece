"""Model → Svefaktura 1.0 (SFTI BasicInvoice, ``urn:sfti:documents:BasicInvoice:1:0``).

Svefaktura is older and smaller than EN 16931: it knows only the VAT categories S and E, one
payment means code (1, "bank giro or plus giro or account"), one line allowance or charge, and
no attachments. What it cannot carry is listed in the conversion report (the BT ids dropped) and
never silently lost; what it needs and the model lacks (the buyer's reference) fails closed.
Element order follows ``SFTI-BasicInvoice-1.0.xsd`` and ``SFTI-CommonAggregateComponents-1.0.xsd``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from lxml import etree

from formats.errors import FormatError
from formats.model import Address, Invoice, Line, Party, PaymentMeans
from formats.model.totals import complete

from .names import CAC, CBC, NSMAP, SFTI
from .report import dropped_terms

#: FinancialInstitution ids that mark a Swedish giro account in Svefaktura.
GIRO_INSTITUTION = {"SE:BANKGIRO": "BGABSESS", "SE:PLUSGIRO": "PGSISESS"}
#: Credit-transfer payment means codes of UNCL4461 that map to Svefaktura's only code, 1.
_CREDIT_TRANSFER = {"1", "30", "31", "42", "58", "59"}


@dataclass(frozen=True, slots=True)
class Written:
    """A Svefaktura document and the conversion report: the business terms it could not keep."""

    content: bytes
    dropped: tuple[str, ...] = field(default=())


def write(invoice: Invoice) -> bytes:
    """The Svefaktura 1.0 bytes of ``invoice`` (see :func:`write_with_report` for the losses)."""
    return write_with_report(invoice).content


def write_with_report(invoice: Invoice) -> Written:
    invoice = complete(invoice)
    root = etree.Element(_s("Invoice"), nsmap=NSMAP)
    _header(root, invoice)
    _party(_sub(_sub(root, _c("BuyerParty")), _c("Party")), invoice.buyer, "BG-7")
    seller_party = _sub(root, _c("SellerParty"))
    _party(_sub(seller_party, _c("Party")), invoice.seller, "BG-4", seller=True)
    if invoice.seller and invoice.seller.contact and invoice.seller.contact.name:
        _text(_sub(seller_party, _c("AccountsContact")), _b("Name"), invoice.seller.contact.name)
    _delivery(root, invoice)
    for means in invoice.payment_means[:3]:
        _payment_means(root, invoice, means)
    _payment_terms(root, invoice)
    for ac in invoice.allowances_charges:
        _document_allowance_charge(root, invoice, ac)
    _tax_total(root, invoice)
    _legal_total(root, invoice)
    for line in invoice.lines:
        _line(root, invoice, line)
    _references(root, invoice)
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return Written(body, dropped_terms(invoice))


# --- header and references -----------------------------------------------------------------------


def _header(root: etree._Element, invoice: Invoice) -> None:
    if not invoice.number:
        raise FormatError("Svefaktura requires the invoice number (BT-1)", location="/number")
    if not invoice.issue_date:
        raise FormatError("Svefaktura requires the issue date (BT-2)", location="/issue_date")
    _text(root, _s("ID"), invoice.number)
    _text(root, _b("IssueDate"), _date(invoice.issue_date))
    _text(root, _s("InvoiceTypeCode"), "381" if invoice.is_credit_note else "380")
    notes = [n for n in invoice.notes if n]
    if notes:
        _text(root, _b("Note"), "\n".join(notes))
    if invoice.tax_point_date:
        _text(root, _s("TaxPointDate"), _date(invoice.tax_point_date))
    _text(root, _s("InvoiceCurrencyCode"), invoice.currency)
    _text(root, _s("LineItemCountNumeric"), str(len(invoice.lines)))
    for ref in (invoice.contract_reference, invoice.project_reference):
        if ref:
            _doc_ref(root, "AdditionalDocumentReference", ref)


def _references(root: etree._Element, invoice: Invoice) -> None:
    requisitionist = invoice.buyer_reference or invoice.purchase_order_reference
    if not requisitionist:
        raise FormatError(
            "Svefaktura requires the buyer's reference (BT-10) or a purchase order reference (BT-13)",
            location="/buyer_reference",
        )
    _doc_ref(root, "RequisitionistDocumentReference", requisitionist)
    for preceding in invoice.preceding_invoices:
        if preceding.id:
            _doc_ref(root, "InitialInvoiceDocumentReference", preceding.id)
    period = invoice.invoice_period
    if period and period.start and period.end:
        node = _sub(root, _s("InvoicingPeriod"))
        _text(node, _b("StartDateTime"), f"{_date(period.start)}T00:00:00")
        _text(node, _b("EndDateTime"), f"{_date(period.end)}T00:00:00")


def _doc_ref(root: etree._Element, name: str, value: str) -> None:
    _text(_sub(root, _s(name)), _c("ID"), value)


# --- parties ----------------------------------------------------------------------------------------


def _party(node: etree._Element, party: Party | None, group: str, *, seller: bool = False) -> None:
    pointer = "/seller" if seller else "/buyer"
    if party is None or not party.name:
        raise FormatError(
            f"Svefaktura requires the party name ({group})", location=f"{pointer}/name"
        )
    endpoint = party.electronic_address
    ids = [i.value for i in party.identifiers] or ([endpoint.value] if endpoint else [])
    if ids:
        _text(_sub(node, _c("PartyIdentification")), _c("ID"), ids[0])
    _text(_sub(node, _c("PartyName")), _b("Name"), party.name)
    _address(_sub(node, _c("Address")), party.address)
    legal = party.legal_registration_id.value if party.legal_registration_id else None
    if seller and not (legal or party.vat_id):
        raise FormatError(
            "Svefaktura requires the seller's organisation number (BT-30) or VAT id (BT-31) (SFTI R-38)",
            location="/seller/legal_registration_id",
        )
    if legal:
        scheme = _sub(node, _c("PartyTaxScheme"))
        _text(scheme, _c("CompanyID"), legal)
        if seller and (party.tax_registration_id or party.legal_form):
            _text(scheme, _b("ExemptionReason"), party.tax_registration_id or party.legal_form)
        _text(_sub(scheme, _c("TaxScheme")), _c("ID"), "SWT")
    if party.vat_id:
        scheme = _sub(node, _c("PartyTaxScheme"))
        _text(scheme, _c("CompanyID"), party.vat_id)
        _text(_sub(scheme, _c("TaxScheme")), _c("ID"), "VAT")
    contact = party.contact
    if contact and (contact.name or contact.phone or contact.email):
        c = _sub(node, _c("Contact"))
        _text(c, _b("Name"), contact.name)
        _text(c, _b("Telephone"), _digits(contact.phone))
        _text(c, _b("ElectronicMail"), contact.email)


def _address(node: etree._Element, address: Address | None) -> None:
    if address is None:
        return
    street = ", ".join(x for x in (address.line1, address.line2, address.line3) if x)
    _text(node, _b("StreetName"), street or None)
    _text(node, _b("CityName"), address.city)
    _text(node, _b("PostalZone"), _postal_zone(address.post_code))
    if address.country_code:
        _text(_sub(node, _c("Country")), _c("IdentificationCode"), address.country_code)


# --- delivery, payment -----------------------------------------------------------------------------


def _delivery(root: etree._Element, invoice: Invoice) -> None:
    delivery = invoice.delivery
    if delivery is None or not (delivery.actual_date or delivery.address):
        return
    node = _sub(root, _c("Delivery"))
    if delivery.actual_date:
        _text(node, _b("ActualDeliveryDateTime"), f"{_date(delivery.actual_date)}T00:00:00")
    if delivery.address:
        _address(_sub(node, _c("DeliveryAddress")), delivery.address)


def _payment_means(root: etree._Element, invoice: Invoice, means: PaymentMeans) -> None:
    if means.type_code not in _CREDIT_TRANSFER or means.account is None:
        return  # cards and direct debit have no Svefaktura form: reported as dropped
    node = _sub(root, _c("PaymentMeans"))
    _text(node, _c("PaymentMeansTypeCode"), "1")
    _text(node, _b("DuePaymentDate"), _date(invoice.due_date) if invoice.due_date else None)
    account = _sub(node, _c("PayeeFinancialAccount"))
    _text(account, _c("ID"), _giro_number(means))
    institution = GIRO_INSTITUTION.get(means.account.service_provider_id or "")
    institution = institution or means.account.service_provider_id
    if institution:
        branch = _sub(account, _c("FinancialInstitutionBranch"))
        _text(_sub(branch, _c("FinancialInstitution")), _c("ID"), institution)
    _text(account, _c("PaymentInstructionID"), means.remittance_information)
    if invoice.payee and invoice.payee.name:
        _text(_sub(node, _c("PayeePartyName")), _b("Name"), invoice.payee.name)


def _giro_number(means: PaymentMeans) -> str | None:
    account = means.account
    if account is None or account.id is None:
        return None
    if account.service_provider_id in GIRO_INSTITUTION:
        return _digits(account.id)
    return account.id.replace(" ", "")


def _payment_terms(root: etree._Element, invoice: Invoice) -> None:
    if invoice.payment_terms:
        _text(_sub(root, _c("PaymentTerms")), _b("Note"), invoice.payment_terms)


# --- allowances, tax, totals, lines ------------------------------------------------------------------


def _document_allowance_charge(root: etree._Element, invoice: Invoice, ac) -> None:
    node = _sub(root, _s("AllowanceCharge"))
    _text(node, _b("ChargeIndicator"), "true" if ac.is_charge else "false")
    _text(node, _c("ReasonCode"), "ZZZ")
    _amount(node, _b("Amount"), ac.amount, invoice.currency)
    _tax_category(node, ac.vat_category, ac.vat_rate, None, always_percent=True)


def _tax_total(root: etree._Element, invoice: Invoice) -> None:
    if invoice.vat_breakdown and all(row.category == "O" for row in invoice.vat_breakdown):
        return  # outside the scope of VAT: no tax information at all (SFTI R-88)
    totals = invoice.totals
    node = _sub(root, _c("TaxTotal"))
    vat_total = totals.vat_total if totals and totals.vat_total is not None else Decimal("0")
    _amount(node, _b("TotalTaxAmount"), vat_total, invoice.currency)
    for row in invoice.vat_breakdown:
        sub = _sub(node, _c("TaxSubTotal"))
        _amount(sub, _b("TaxableAmount"), row.taxable_amount, invoice.currency)
        _amount(sub, _b("TaxAmount"), row.tax_amount, invoice.currency)
        reason = row.exemption_reason or row.exemption_reason_code
        _tax_category(sub, row.category, row.rate, reason, always_percent=True)


def _tax_category(
    parent: etree._Element,
    category: str | None,
    rate: Decimal | None,
    reason: str | None,
    *,
    always_percent: bool = False,
) -> None:
    code, percent = sfti_category(category, rate)
    node = _sub(parent, _c("TaxCategory"))
    _text(node, _c("ID"), code)
    if percent is not None or always_percent:
        _text(node, _b("Percent"), _decimal(percent if percent is not None else Decimal("0")))
    if code == "E":
        _text(node, _b("ExemptionReason"), reason or _EXEMPTION_TEXT.get(category or "", "Momsfri"))
    _text(_sub(node, _c("TaxScheme")), _c("ID"), "VAT")


#: Svefaktura has S and E only; the other EN 16931 categories are exempt with this reason text.
_EXEMPTION_TEXT = {
    "Z": "Nollskattesats",
    "AE": "Omvänd skattskyldighet",
    "K": "Unionsintern försäljning",
    "G": "Export",
    "O": "Utanför momsens tillämpningsområde",
}


def sfti_category(category: str | None, rate: Decimal | None) -> tuple[str, Decimal | None]:
    """The Svefaktura (code, percent) for an EN 16931 VAT category and rate."""
    if category in ("S", "L", "M") and rate and rate > 0:
        return "S", rate
    return "E", Decimal("0")


def _legal_total(root: etree._Element, invoice: Invoice) -> None:
    totals = invoice.totals
    if totals is None:
        raise FormatError("Svefaktura requires the document totals (BG-22)", location="/totals")
    if totals.tax_inclusive is not None and totals.tax_inclusive < 0:
        # SFTI rule R-105: Svefaktura has no negative invoices; the sender must issue a credit note.
        raise FormatError(
            "Svefaktura cannot carry a negative total (BT-112 < 0, SFTI R-105): send a credit note instead",
            location="/totals/tax_inclusive",
        )
    node = _sub(root, _c("LegalTotal"))
    _amount(node, _b("LineExtensionTotalAmount"), totals.line_net_total, invoice.currency)
    _amount(node, _b("TaxExclusiveTotalAmount"), totals.tax_exclusive, invoice.currency)
    # Svefaktura's TaxInclusiveTotalAmount is the amount to pay (after rounding, before prepaid).
    inclusive = totals.tax_inclusive or Decimal("0")
    if totals.rounding:
        inclusive += totals.rounding
    _amount(node, _b("TaxInclusiveTotalAmount"), inclusive, invoice.currency)
    if totals.rounding:
        _amount(node, _c("RoundOffAmount"), totals.rounding, invoice.currency)


def _line(root: etree._Element, invoice: Invoice, line: Line) -> None:
    node = _sub(root, _c("InvoiceLine"))
    _text(node, _c("ID"), line.id)
    if line.quantity is not None:
        qty = _text(node, _b("InvoicedQuantity"), _decimal(line.quantity))
        qty.set("quantityUnitCode", line.unit_code or "EA")
    _amount(node, _b("LineExtensionAmount"), line.net_amount, invoice.currency)
    _text(node, _b("Note"), line.note)
    if line.order_line_reference:
        ref = _sub(node, _c("OrderLineReference"))
        _text(ref, _c("BuyersLineID"), line.order_line_reference)
    _line_allowance_charge(node, invoice, line)
    _item(node, invoice, line)


def _line_allowance_charge(node: etree._Element, invoice: Invoice, line: Line) -> None:
    """Svefaktura allows one line allowance or charge: the net sum of the model's."""
    if not line.allowances_charges:
        return
    net = sum(
        (
            (ac.amount or Decimal("0")) * (1 if ac.is_charge else -1)
            for ac in line.allowances_charges
        ),
        Decimal("0"),
    )
    if net == 0:
        return
    ac = _sub(node, _c("AllowanceCharge"))
    _text(ac, _b("ChargeIndicator"), "true" if net > 0 else "false")
    _amount(ac, _b("Amount"), abs(net), invoice.currency)


def _item(node: etree._Element, invoice: Invoice, line: Line) -> None:
    item = line.item
    el = _sub(node, _c("Item"))
    if item is None:
        return
    description = item.name if not item.description else f"{item.name}, {item.description}"
    _text(el, _b("Description"), description)
    if item.buyers_id:
        _text(_sub(el, _c("BuyersItemIdentification")), _c("ID"), item.buyers_id)
    if item.sellers_id:
        _text(_sub(el, _c("SellersItemIdentification")), _c("ID"), item.sellers_id)
    if item.standard_id:
        _text(_sub(el, _c("StandardItemIdentification")), _c("ID"), item.standard_id.value)
    if item.vat_category:
        _tax_category(el, item.vat_category, item.vat_rate, None, always_percent=True)
    price = line.price
    if price and price.net is not None:
        base = _sub(el, _c("BasePrice"))
        _amount(base, _b("PriceAmount"), price.net, invoice.currency)
        if price.base_quantity is not None and price.base_quantity != 1:
            qty = _text(base, _b("BaseQuantity"), _decimal(price.base_quantity))
            qty.set("quantityUnitCode", price.base_quantity_unit or line.unit_code or "EA")


# --- small helpers -------------------------------------------------------------------------------------


def _s(name: str) -> str:
    return f"{{{SFTI}}}{name}"


def _c(name: str) -> str:
    return f"{{{CAC}}}{name}"


def _b(name: str) -> str:
    return f"{{{CBC}}}{name}"


def _sub(parent: etree._Element, tag: str) -> etree._Element:
    return etree.SubElement(parent, tag)


def _text(parent: etree._Element, tag: str, value: str | None) -> etree._Element | None:
    if value is None or value == "":
        return None
    el = etree.SubElement(parent, tag)
    el.text = value
    return el


def _amount(parent: etree._Element, tag: str, value: Decimal | None, currency: str | None) -> None:
    el = etree.SubElement(parent, tag)
    el.text = _decimal(value if value is not None else Decimal("0"))
    if currency:
        el.set("amountCurrencyID", currency)


def _decimal(value: Decimal) -> str:
    return format(value, "f")


def _date(value: date) -> str:
    return value.isoformat()


def _digits(value: str | None) -> str | None:
    if value is None:
        return None
    kept = "".join(ch for ch in value if ch.isdigit() or ch == "+")
    return kept[:1] + kept[1:].replace("+", "") if kept else None


def _postal_zone(value: str | None) -> str | None:
    if value is None:
        return None
    return "".join(ch for ch in value if ch.isalnum()) or None
