"""Svefaktura 1.0 → model, with each value's XPath so rule findings point into the input.

An ObjectEnvelope (SFTI's transport wrapper) is unwrapped first. Svefaktura's PartyTaxScheme with
TaxScheme SWT carries the organisation number (BT-30) and the F-skatt statement (BT-32);
TaxScheme VAT carries the VAT id. Bankgiro and Plusgiro accounts are recognised by their
FinancialInstitution ids and become ``SE:BANKGIRO`` / ``SE:PLUSGIRO`` accounts as in Peppol BIS.
"""

from __future__ import annotations

from dataclasses import replace

from lxml import etree

from formats import xmlsafe
from formats.errors import UnsupportedDocument
from formats.model import (
    Address,
    AllowanceCharge,
    Contact,
    Delivery,
    DocumentKind,
    FinancialAccount,
    Identifier,
    Invoice,
    Item,
    Line,
    Party,
    Payee,
    PaymentMeans,
    Period,
    PrecedingInvoice,
    Price,
    Totals,
    VatBreakdown,
)
from formats.reading import ReadResult
from formats.xmlpaths import LocatingReader

from .names import ENVELOPE, SFTI, XPATH_NS

_GIRO = {"BGABSESS": "SE:BANKGIRO", "PGSISESS": "SE:PLUSGIRO"}
#: SFTI's invoice customization marker, kept so a round trip knows where the invoice came from.
SVEFAKTURA_CUSTOMIZATION = "urn:sfti:documents:BasicInvoice:1:0"


class _Reader(LocatingReader):
    def __init__(self, root: etree._Element) -> None:
        super().__init__(root, XPATH_NS)

    def all(self, node: etree._Element | None, path: str) -> list[etree._Element]:
        return self.nodes(node, path)


def read(data: bytes) -> ReadResult:
    root = xmlsafe.parse(data)
    if root.tag == f"{{{ENVELOPE}}}ObjectEnvelope":
        root = _unwrap_envelope(root)
    if root.tag != f"{{{SFTI}}}Invoice":
        raise UnsupportedDocument(f"not a Svefaktura 1.0 invoice: root element {root.tag}")
    reader = _Reader(root)
    invoice = _invoice(reader, root)
    for structural in _STRUCTURAL:  # codes the reader interprets rather than copies
        for node in root.iterfind(structural, XPATH_NS):
            reader.consume(node)
    return ReadResult(
        invoice=invoice,
        syntax="svefaktura",
        locations=reader.locations,
        root=root,
        dropped=reader.unread(root),
    )


_STRUCTURAL = (
    "sfti:LineItemCountNumeric",
    ".//cac:TaxScheme/cac:ID",
    "cac:PaymentMeans/cac:PaymentMeansTypeCode",
)


def _unwrap_envelope(envelope: etree._Element) -> etree._Element:
    for node in envelope.iter(f"{{{SFTI}}}Invoice"):
        return node
    raise UnsupportedDocument("the SFTI ObjectEnvelope holds no Svefaktura invoice")


def _invoice(r: _Reader, root: etree._Element) -> Invoice:
    type_code = r.text(root, "sfti:InvoiceTypeCode", "/type_code")
    notes = r.text(root, "cbc:Note", "/notes/0")
    requisitionists = r.all(root, "sfti:RequisitionistDocumentReference")
    buyer_ref = (
        r.text(requisitionists[0], "cac:ID", "/buyer_reference") if requisitionists else None
    )
    preceding = tuple(
        PrecedingInvoice(id=r.text(node, "cac:ID", f"/preceding_invoices/{i}/id"))
        for i, node in enumerate(r.all(root, "sfti:InitialInvoiceDocumentReference"))
    )
    return Invoice(
        kind=DocumentKind.CREDIT_NOTE if type_code == "381" else DocumentKind.INVOICE,
        customization_id=SVEFAKTURA_CUSTOMIZATION,
        profile_id=None,
        number=r.text(root, "sfti:ID", "/number"),
        issue_date=r.date(root, "cbc:IssueDate", "/issue_date"),
        type_code=type_code,
        currency=r.text(root, "sfti:InvoiceCurrencyCode", "/currency"),
        tax_point_date=r.date(root, "sfti:TaxPointDate", "/tax_point_date"),
        due_date=r.date(root, "cac:PaymentMeans/cbc:DuePaymentDate", "/due_date"),
        buyer_reference=buyer_ref,
        contract_reference=None,
        payment_terms=r.text(root, "cac:PaymentTerms/cbc:Note", "/payment_terms"),
        notes=(notes,) if notes else (),
        preceding_invoices=preceding,
        seller=_party(r, root.find("cac:SellerParty/cac:Party", XPATH_NS), "/seller", root),
        buyer=_party(r, root.find("cac:BuyerParty/cac:Party", XPATH_NS), "/buyer", None),
        payee=_payee(r, root),
        delivery=_delivery(r, root.find("cac:Delivery", XPATH_NS)),
        invoice_period=_period(r, root.find("sfti:InvoicingPeriod", XPATH_NS), "/invoice_period"),
        payment_means=_payment_means(r, root),
        allowances_charges=_document_allowances(r, root),
        totals=_totals(r, root),
        vat_breakdown=_vat_breakdown(r, root),
        lines=_lines(r, root),
    )


def _lines(r: _Reader, root: etree._Element) -> tuple[Line, ...]:
    lines = tuple(
        _line(r, node, f"/lines/{i}") for i, node in enumerate(r.all(root, "cac:InvoiceLine"))
    )
    # Svefaktura lets lines omit their VAT category when the document has a single one.
    rows = _vat_breakdown(_Reader(root), root)
    if len(rows) != 1:
        return lines
    only = rows[0]
    return tuple(
        replace(line, item=replace(line.item, vat_category=only.category, vat_rate=only.rate))
        if line.item is not None and line.item.vat_category is None
        else line
        for line in lines
    )


def _party(r: _Reader, node: etree._Element | None, ptr: str, root) -> Party | None:
    if node is None:
        return None
    legal = vat = f_tax = None
    for scheme in r.all(node, "cac:PartyTaxScheme"):
        kind = (scheme.findtext("cac:TaxScheme/cac:ID", None, XPATH_NS) or "").strip()
        if kind == "SWT":
            value = r.text(scheme, "cac:CompanyID", f"{ptr}/legal_registration_id/value")
            legal = Identifier(value=value) if value else None
            f_tax = r.text(scheme, "cbc:ExemptionReason", f"{ptr}/tax_registration_id")
        elif kind == "VAT":
            vat = r.text(scheme, "cac:CompanyID", f"{ptr}/vat_id")
    party_id = r.text(node, "cac:PartyIdentification/cac:ID", f"{ptr}/identifiers/0/value")
    contact_node = node.find("cac:Contact", XPATH_NS)
    contact = None
    if contact_node is not None:
        contact = Contact(
            name=r.text(contact_node, "cbc:Name", f"{ptr}/contact/name"),
            phone=r.text(contact_node, "cbc:Telephone", f"{ptr}/contact/phone"),
            email=r.text(contact_node, "cbc:ElectronicMail", f"{ptr}/contact/email"),
        )
    if root is not None and (contact is None or contact.name is None):
        accounts = r.text(
            root, "cac:SellerParty/cac:AccountsContact/cbc:Name", f"{ptr}/contact/name"
        )
        if accounts:
            contact = Contact(
                name=accounts, phone=contact and contact.phone, email=contact and contact.email
            )
    return Party(
        name=r.text(node, "cac:PartyName/cbc:Name", f"{ptr}/name"),
        identifiers=(Identifier(value=party_id),) if party_id else (),
        legal_registration_id=legal,
        vat_id=vat,
        tax_registration_id=f_tax,
        address=_address(r, node.find("cac:Address", XPATH_NS), f"{ptr}/address"),
        contact=contact,
    )


def _address(r: _Reader, node: etree._Element | None, ptr: str) -> Address | None:
    if node is None:
        return None
    lines = [
        ln.text.strip() for ln in node.findall("cac:AddressLine/cbc:Line", XPATH_NS) if ln.text
    ]
    street = r.text(node, "cbc:StreetName", f"{ptr}/line1") or (lines[0] if lines else None)
    postbox = r.text(node, "cbc:Postbox", f"{ptr}/line2")
    return Address(
        line1=street,
        line2=postbox or (lines[1] if len(lines) > 1 else None),
        city=r.text(node, "cbc:CityName", f"{ptr}/city"),
        post_code=r.text(node, "cbc:PostalZone", f"{ptr}/post_code"),
        country_code=r.text(node, "cac:Country/cac:IdentificationCode", f"{ptr}/country_code"),
    )


def _payee(r: _Reader, root: etree._Element) -> Payee | None:
    name = r.text(root, "cac:PaymentMeans/cac:PayeePartyName/cbc:Name", "/payee/name")
    return Payee(name=name) if name else None


def _delivery(r: _Reader, node: etree._Element | None) -> Delivery | None:
    if node is None:
        return None
    return Delivery(
        actual_date=r.date(node, "cbc:ActualDeliveryDateTime", "/delivery/actual_date"),
        address=_address(r, node.find("cac:DeliveryAddress", XPATH_NS), "/delivery/address"),
    )


def _period(r: _Reader, node: etree._Element | None, ptr: str) -> Period | None:
    if node is None:
        return None
    return Period(
        start=r.date(node, "cbc:StartDateTime", f"{ptr}/start"),
        end=r.date(node, "cbc:EndDateTime", f"{ptr}/end"),
    )


def _payment_means(r: _Reader, root: etree._Element) -> tuple[PaymentMeans, ...]:
    found = []
    for i, node in enumerate(r.all(root, "cac:PaymentMeans")):
        ptr = f"/payment_means/{i}"
        account = node.find("cac:PayeeFinancialAccount", XPATH_NS)
        institution = r.text(
            account,
            "cac:FinancialInstitutionBranch/cac:FinancialInstitution/cac:ID",
            f"{ptr}/account/service_provider_id",
        )
        provider = _GIRO.get(institution or "", institution)
        found.append(
            PaymentMeans(
                # Svefaktura's code 1 is a credit transfer to a giro or bank account.
                type_code="30" if provider in _GIRO.values() else "58" if provider else "30",
                remittance_information=r.text(
                    account, "cac:PaymentInstructionID", f"{ptr}/remittance_information"
                ),
                account=FinancialAccount(
                    id=r.text(account, "cac:ID", f"{ptr}/account/id"), service_provider_id=provider
                )
                if account is not None
                else None,
            )
        )
    return tuple(found)


def _document_allowances(r: _Reader, root: etree._Element) -> tuple[AllowanceCharge, ...]:
    found = []
    for i, node in enumerate(r.all(root, "sfti:AllowanceCharge")):
        ptr = f"/allowances_charges/{i}"
        found.append(
            AllowanceCharge(
                is_charge=(r.text(node, "cbc:ChargeIndicator", f"{ptr}/is_charge") or "")
                in ("true", "1"),
                amount=r.decimal(node, "cbc:Amount", f"{ptr}/amount"),
                vat_category=_category(
                    r.text(node, "cac:TaxCategory/cac:ID", f"{ptr}/vat_category")
                ),
                vat_rate=r.decimal(node, "cac:TaxCategory/cbc:Percent", f"{ptr}/vat_rate"),
            )
        )
    return tuple(found)


def _category(code: str | None) -> str | None:
    return code.strip().upper() if code else None


def _totals(r: _Reader, root: etree._Element) -> Totals | None:
    node = root.find("cac:LegalTotal", XPATH_NS)
    if node is None:
        return None
    rounding = r.decimal(node, "cac:RoundOffAmount", "/totals/rounding")
    inclusive = r.decimal(node, "cbc:TaxInclusiveTotalAmount", "/totals/tax_inclusive")
    payable = inclusive
    if inclusive is not None and rounding:
        inclusive -= rounding
    return Totals(
        line_net_total=r.decimal(node, "cbc:LineExtensionTotalAmount", "/totals/line_net_total"),
        tax_exclusive=r.decimal(node, "cbc:TaxExclusiveTotalAmount", "/totals/tax_exclusive"),
        vat_total=r.decimal(root, "cac:TaxTotal/cbc:TotalTaxAmount", "/totals/vat_total"),
        tax_inclusive=inclusive,
        rounding=rounding,
        payable=payable,
    )


def _vat_breakdown(r: _Reader, root: etree._Element) -> tuple[VatBreakdown, ...]:
    rows = []
    for i, node in enumerate(r.all(root, "cac:TaxTotal/cac:TaxSubTotal")):
        ptr = f"/vat_breakdown/{i}"
        category = _category(r.text(node, "cac:TaxCategory/cac:ID", f"{ptr}/category"))
        rows.append(
            VatBreakdown(
                taxable_amount=r.decimal(node, "cbc:TaxableAmount", f"{ptr}/taxable_amount"),
                tax_amount=r.decimal(node, "cbc:TaxAmount", f"{ptr}/tax_amount"),
                category=category,
                rate=r.decimal(node, "cac:TaxCategory/cbc:Percent", f"{ptr}/rate"),
                exemption_reason=r.text(
                    node, "cac:TaxCategory/cbc:ExemptionReason", f"{ptr}/exemption_reason"
                ),
            )
        )
    return tuple(rows)


def _standard_id(r: _Reader, item: etree._Element | None, ptr: str) -> Identifier | None:
    value = r.text(item, "cac:StandardItemIdentification/cac:ID", f"{ptr}/value")
    return Identifier(value=value) if value else None


def _line(r: _Reader, node: etree._Element, ptr: str) -> Line:
    item_node = node.find("cac:Item", XPATH_NS)
    quantity_node = node.find("cbc:InvoicedQuantity", XPATH_NS)
    allowance = node.find("cac:AllowanceCharge", XPATH_NS)
    charges: tuple[AllowanceCharge, ...] = ()
    if allowance is not None:
        charges = (
            AllowanceCharge(
                is_charge=(
                    r.text(
                        allowance, "cbc:ChargeIndicator", f"{ptr}/allowances_charges/0/is_charge"
                    )
                    or ""
                )
                in ("true", "1"),
                amount=r.decimal(allowance, "cbc:Amount", f"{ptr}/allowances_charges/0/amount"),
            ),
        )
    description = r.text(item_node, "cbc:Description", f"{ptr}/item/name")
    return Line(
        id=r.text(node, "cac:ID", f"{ptr}/id"),
        note=r.text(node, "cbc:Note", f"{ptr}/note"),
        quantity=r.decimal(node, "cbc:InvoicedQuantity", f"{ptr}/quantity"),
        unit_code=quantity_node.get("quantityUnitCode") if quantity_node is not None else None,
        net_amount=r.decimal(node, "cbc:LineExtensionAmount", f"{ptr}/net_amount"),
        order_line_reference=r.text(
            node, "cac:OrderLineReference/cac:BuyersLineID", f"{ptr}/order_line_reference"
        ),
        allowances_charges=charges,
        price=Price(
            net=r.decimal(item_node, "cac:BasePrice/cbc:PriceAmount", f"{ptr}/price/net"),
            base_quantity=r.decimal(
                item_node, "cac:BasePrice/cbc:BaseQuantity", f"{ptr}/price/base_quantity"
            ),
        )
        if item_node is not None
        else None,
        item=Item(
            name=description,
            sellers_id=r.text(
                item_node, "cac:SellersItemIdentification/cac:ID", f"{ptr}/item/sellers_id"
            ),
            buyers_id=r.text(
                item_node, "cac:BuyersItemIdentification/cac:ID", f"{ptr}/item/buyers_id"
            ),
            vat_category=_category(
                r.text(item_node, "cac:TaxCategory/cac:ID", f"{ptr}/item/vat_category")
            ),
            vat_rate=r.decimal(item_node, "cac:TaxCategory/cbc:Percent", f"{ptr}/item/vat_rate"),
        )
        if item_node is not None
        else None,
    )
