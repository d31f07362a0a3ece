"""UN/CEFACT CII D16B ``CrossIndustryInvoice`` → model, with every value's XPath recorded."""

from __future__ import annotations

import base64
import binascii

from lxml import etree

from formats import xmlsafe
from formats.errors import MalformedDocument, UnsupportedDocument
from formats.model import (
    Address,
    AllowanceCharge,
    Attachment,
    Contact,
    Delivery,
    DirectDebit,
    DocumentKind,
    FinancialAccount,
    Identifier,
    Invoice,
    Item,
    ItemAttribute,
    ItemClassification,
    Line,
    Party,
    Payee,
    PaymentCard,
    PaymentMeans,
    Period,
    PrecedingInvoice,
    Price,
    SupportingDocument,
    TaxRepresentative,
    Totals,
    VatBreakdown,
)
from formats.reading import ReadResult
from formats.xmlpaths import LocatingReader

from .names import NSMAP, OBJECT_TYPE, RSM, SUPPORTING_TYPE, TENDER_TYPE

#: Type codes UNTDID 1001 uses for credit notes (EN 16931 CII has one document for both).
CREDIT_NOTE_CODES = frozenset(
    {"81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532"}
)

_DT = "udt:DateTimeString"


def read(data: bytes) -> ReadResult:
    root = xmlsafe.parse(data)
    if root.tag != f"{{{RSM}}}CrossIndustryInvoice":
        raise UnsupportedDocument(f"not a CII CrossIndustryInvoice: root element {root.tag}")
    r = LocatingReader(root, NSMAP)
    invoice = _invoice(r, root)
    return ReadResult(
        invoice=invoice, syntax="cii", locations=r.locations, root=root, dropped=r.unread(root)
    )


def _invoice(r: LocatingReader, root: etree._Element) -> Invoice:
    context = r.node(root, "rsm:ExchangedDocumentContext")
    document = r.node(root, "rsm:ExchangedDocument")
    transaction = r.node(root, "rsm:SupplyChainTradeTransaction")
    agreement = r.node(transaction, "ram:ApplicableHeaderTradeAgreement")
    delivery = r.node(transaction, "ram:ApplicableHeaderTradeDelivery")
    settlement = r.node(transaction, "ram:ApplicableHeaderTradeSettlement")
    type_code = r.text(document, "ram:TypeCode", "/type_code")
    additional = _additional_documents(r, agreement)
    first_tax = r.node(settlement, "ram:ApplicableTradeTax")
    terms = r.node(settlement, "ram:SpecifiedTradePaymentTerms")
    return Invoice(
        kind=DocumentKind.CREDIT_NOTE if type_code in CREDIT_NOTE_CODES else DocumentKind.INVOICE,
        customization_id=r.text(
            context, "ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", "/customization_id"
        ),
        profile_id=r.text(
            context, "ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID", "/profile_id"
        ),
        number=r.text(document, "ram:ID", "/number"),
        issue_date=r.date(document, f"ram:IssueDateTime/{_DT}", "/issue_date", compact=True),
        type_code=type_code,
        currency=r.text(settlement, "ram:InvoiceCurrencyCode", "/currency"),
        tax_currency=r.text(settlement, "ram:TaxCurrencyCode", "/tax_currency"),
        tax_point_date=r.date(
            first_tax, "ram:TaxPointDate/udt:DateString", "/tax_point_date", compact=True
        ),
        tax_point_date_code=r.text(first_tax, "ram:DueDateTypeCode", "/tax_point_date_code"),
        due_date=r.date(terms, f"ram:DueDateDateTime/{_DT}", "/due_date", compact=True),
        buyer_reference=r.text(agreement, "ram:BuyerReference", "/buyer_reference"),
        project_reference=_project(r, agreement),
        contract_reference=r.text(
            agreement, "ram:ContractReferencedDocument/ram:IssuerAssignedID", "/contract_reference"
        ),
        purchase_order_reference=r.text(
            agreement,
            "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID",
            "/purchase_order_reference",
        ),
        sales_order_reference=r.text(
            agreement,
            "ram:SellerOrderReferencedDocument/ram:IssuerAssignedID",
            "/sales_order_reference",
        ),
        receiving_advice_reference=r.text(
            delivery,
            "ram:ReceivingAdviceReferencedDocument/ram:IssuerAssignedID",
            "/receiving_advice_reference",
        ),
        despatch_advice_reference=r.text(
            delivery,
            "ram:DespatchAdviceReferencedDocument/ram:IssuerAssignedID",
            "/despatch_advice_reference",
        ),
        tender_reference=additional.tender,
        invoiced_object_id=additional.object_id,
        buyer_accounting_reference=r.text(
            settlement,
            "ram:ReceivableSpecifiedTradeAccountingAccount/ram:ID",
            "/buyer_accounting_reference",
        ),
        payment_terms=r.text(terms, "ram:Description", "/payment_terms"),
        notes=_notes(r, document),
        preceding_invoices=_preceding(r, settlement),
        seller=_party(r, r.node(agreement, "ram:SellerTradeParty"), "/seller", seller=True),
        buyer=_party(r, r.node(agreement, "ram:BuyerTradeParty"), "/buyer", seller=False),
        payee=_payee(r, r.node(settlement, "ram:PayeeTradeParty")),
        tax_representative=_representative(
            r, r.node(agreement, "ram:SellerTaxRepresentativeTradeParty")
        ),
        delivery=_delivery(r, delivery),
        invoice_period=_period(
            r, r.node(settlement, "ram:BillingSpecifiedPeriod"), "/invoice_period"
        ),
        payment_means=_payment_means(r, settlement, terms),
        allowances_charges=tuple(
            _allowance_charge(r, node, f"/allowances_charges/{i}", document_level=True)
            for i, node in enumerate(r.nodes(settlement, "ram:SpecifiedTradeAllowanceCharge"))
        ),
        totals=_totals(r, settlement),
        vat_breakdown=_vat_breakdown(r, settlement),
        supporting_documents=additional.supporting,
        lines=tuple(
            _line(r, node, f"/lines/{i}")
            for i, node in enumerate(r.nodes(transaction, "ram:IncludedSupplyChainTradeLineItem"))
        ),
    )


def _project(r: LocatingReader, agreement: etree._Element | None) -> str | None:
    r.consume(
        r.node(agreement, "ram:SpecifiedProcuringProject/ram:Name")
    )  # EN 16931 keeps the id only
    return r.text(agreement, "ram:SpecifiedProcuringProject/ram:ID", "/project_reference")


def _notes(r: LocatingReader, document: etree._Element | None) -> tuple[str, ...]:
    """Notes; a subject code (BT-21) is kept as the ``#CODE#`` prefix EN 16931 uses in UBL."""
    notes = []
    for node in r.nodes(document, "ram:IncludedNote"):
        content = r.text(node, "ram:Content", f"/notes/{len(notes)}")
        if content is None:
            continue
        subject_node = r.node(node, "ram:SubjectCode")
        r.consume(subject_node)
        subject = (subject_node.text or "").strip() if subject_node is not None else None
        notes.append(f"#{subject}#{content}" if subject else content)
    return tuple(notes)


class _Additional:
    def __init__(self) -> None:
        self.tender: str | None = None
        self.object_id: Identifier | None = None
        self.supporting: tuple[SupportingDocument, ...] = ()


def _additional_documents(r: LocatingReader, agreement: etree._Element | None) -> _Additional:
    found = _Additional()
    supporting = []
    for node in r.nodes(agreement, "ram:AdditionalReferencedDocument"):
        code = (node.findtext("ram:TypeCode", "", NSMAP) or "").strip()
        r.consume(r.node(node, "ram:TypeCode"))
        if code == TENDER_TYPE:
            found.tender = r.text(node, "ram:IssuerAssignedID", "/tender_reference")
        elif code == OBJECT_TYPE:
            value = r.text(node, "ram:IssuerAssignedID", "/invoiced_object_id/value")
            scheme = r.text(node, "ram:ReferenceTypeCode", "/invoiced_object_id/scheme")
            found.object_id = Identifier(value=value, scheme=scheme) if value else None
        elif code == SUPPORTING_TYPE or not code:
            supporting.append(_supporting(r, node, f"/supporting_documents/{len(supporting)}"))
    found.supporting = tuple(supporting)
    return found


def _supporting(r: LocatingReader, node: etree._Element, ptr: str) -> SupportingDocument:
    binary = r.node(node, "ram:AttachmentBinaryObject")
    attachment = None
    if binary is not None and binary.text:
        r.text(binary, "", f"{ptr}/attachment/content")
        try:
            content = base64.b64decode("".join(binary.text.split()), validate=True)
        except (binascii.Error, ValueError):
            raise MalformedDocument(
                "attachment is not valid base64", location=r.locations[f"{ptr}/attachment/content"]
            ) from None
        attachment = Attachment(
            content=content, mime_code=binary.get("mimeCode"), filename=binary.get("filename")
        )
    return SupportingDocument(
        id=r.text(node, "ram:IssuerAssignedID", f"{ptr}/id"),
        description=r.text(node, "ram:Name", f"{ptr}/description"),
        url=r.text(node, "ram:URIID", f"{ptr}/url"),
        attachment=attachment,
    )


def _preceding(
    r: LocatingReader, settlement: etree._Element | None
) -> tuple[PrecedingInvoice, ...]:
    return tuple(
        PrecedingInvoice(
            id=r.text(node, "ram:IssuerAssignedID", f"/preceding_invoices/{i}/id"),
            issue_date=r.date(
                node,
                "ram:FormattedIssueDateTime/qdt:DateTimeString",
                f"/preceding_invoices/{i}/issue_date",
                compact=True,
            ),
        )
        for i, node in enumerate(r.nodes(settlement, "ram:InvoiceReferencedDocument"))
    )


def _identifier(
    r: LocatingReader, node: etree._Element | None, path: str, ptr: str
) -> Identifier | None:
    value = r.text(node, path, f"{ptr}/value")
    if value is None:
        return None
    return Identifier(value=value, scheme=r.attr(node, path, "schemeID", f"{ptr}/scheme"))


def _party_ids(r: LocatingReader, node: etree._Element, ptr: str) -> tuple[Identifier, ...]:
    ids = []
    for child in node:
        if child.tag in (f"{{{NSMAP['ram']}}}ID", f"{{{NSMAP['ram']}}}GlobalID"):
            i = len(ids)
            value = r.text(child, "", f"{ptr}/{i}/value")
            if value:
                ids.append(
                    Identifier(
                        value=value, scheme=r.attr(child, "", "schemeID", f"{ptr}/{i}/scheme")
                    )
                )
    return tuple(ids)


def _party(
    r: LocatingReader, node: etree._Element | None, ptr: str, *, seller: bool
) -> Party | None:
    if node is None:
        return None
    vat = fc = None
    for registration in r.nodes(node, "ram:SpecifiedTaxRegistration"):
        scheme = registration.find("ram:ID", NSMAP)
        kind = scheme.get("schemeID") if scheme is not None else None
        if kind == "VA":
            vat = r.text(registration, "ram:ID", f"{ptr}/vat_id")
        elif kind == "FC":
            fc = r.text(registration, "ram:ID", f"{ptr}/tax_registration_id")
    return Party(
        name=r.text(node, "ram:Name", f"{ptr}/name"),
        trading_name=r.text(
            node, "ram:SpecifiedLegalOrganization/ram:TradingBusinessName", f"{ptr}/trading_name"
        ),
        identifiers=_party_ids(r, node, f"{ptr}/identifiers"),
        legal_registration_id=_identifier(
            r, node, "ram:SpecifiedLegalOrganization/ram:ID", f"{ptr}/legal_registration_id"
        ),
        vat_id=vat,
        tax_registration_id=fc,
        legal_form=r.text(node, "ram:Description", f"{ptr}/legal_form") if seller else None,
        electronic_address=_identifier(
            r, node, "ram:URIUniversalCommunication/ram:URIID", f"{ptr}/electronic_address"
        ),
        address=_address(r, r.node(node, "ram:PostalTradeAddress"), f"{ptr}/address"),
        contact=_contact(r, r.node(node, "ram:DefinedTradeContact"), f"{ptr}/contact"),
    )


def _contact(r: LocatingReader, node: etree._Element | None, ptr: str) -> Contact | None:
    if node is None:
        return None
    contact = Contact(
        name=r.text(node, "ram:PersonName", f"{ptr}/name")
        or r.text(node, "ram:DepartmentName", f"{ptr}/name"),
        phone=r.text(
            node, "ram:TelephoneUniversalCommunication/ram:CompleteNumber", f"{ptr}/phone"
        ),
        email=r.text(node, "ram:EmailURIUniversalCommunication/ram:URIID", f"{ptr}/email"),
    )
    return contact if contact != Contact() else None


def _address(r: LocatingReader, node: etree._Element | None, ptr: str) -> Address | None:
    if node is None:
        return None
    return Address(
        line1=r.text(node, "ram:LineOne", f"{ptr}/line1"),
        line2=r.text(node, "ram:LineTwo", f"{ptr}/line2"),
        line3=r.text(node, "ram:LineThree", f"{ptr}/line3"),
        city=r.text(node, "ram:CityName", f"{ptr}/city"),
        post_code=r.text(node, "ram:PostcodeCode", f"{ptr}/post_code"),
        subdivision=r.text(node, "ram:CountrySubDivisionName", f"{ptr}/subdivision"),
        country_code=r.text(node, "ram:CountryID", f"{ptr}/country_code"),
    )


def _payee(r: LocatingReader, node: etree._Element | None) -> Payee | None:
    if node is None:
        return None
    ids = _party_ids(r, node, "/payee/identifier_list")
    return Payee(
        name=r.text(node, "ram:Name", "/payee/name"),
        identifier=ids[0] if ids else None,
        legal_registration_id=_identifier(
            r, node, "ram:SpecifiedLegalOrganization/ram:ID", "/payee/legal_registration_id"
        ),
    )


def _representative(r: LocatingReader, node: etree._Element | None) -> TaxRepresentative | None:
    if node is None:
        return None
    return TaxRepresentative(
        name=r.text(node, "ram:Name", "/tax_representative/name"),
        vat_id=r.text(node, "ram:SpecifiedTaxRegistration/ram:ID", "/tax_representative/vat_id"),
        address=_address(r, r.node(node, "ram:PostalTradeAddress"), "/tax_representative/address"),
    )


def _delivery(r: LocatingReader, node: etree._Element | None) -> Delivery | None:
    ship_to = r.node(node, "ram:ShipToTradeParty")
    event = r.node(node, "ram:ActualDeliverySupplyChainEvent")
    if ship_to is None and event is None:
        return None
    ids = _party_ids(r, ship_to, "/delivery/location_ids") if ship_to is not None else ()
    delivery = Delivery(
        party_name=r.text(ship_to, "ram:Name", "/delivery/party_name"),
        location_id=ids[0] if ids else None,
        actual_date=r.date(
            event, f"ram:OccurrenceDateTime/{_DT}", "/delivery/actual_date", compact=True
        ),
        address=_address(r, r.node(ship_to, "ram:PostalTradeAddress"), "/delivery/address"),
    )
    return delivery if delivery != Delivery() else None


def _period(r: LocatingReader, node: etree._Element | None, ptr: str) -> Period | None:
    if node is None:
        return None
    return Period(
        start=r.date(node, f"ram:StartDateTime/{_DT}", f"{ptr}/start", compact=True),
        end=r.date(node, f"ram:EndDateTime/{_DT}", f"{ptr}/end", compact=True),
    )


def _payment_means(
    r: LocatingReader, settlement: etree._Element | None, terms: etree._Element | None
) -> tuple[PaymentMeans, ...]:
    reference_node = r.node(settlement, "ram:PaymentReference")
    creditor_id = r.text(
        settlement, "ram:CreditorReferenceID", "/payment_means/0/direct_debit/creditor_id"
    )
    mandate = r.text(
        terms, "ram:DirectDebitMandateID", "/payment_means/0/direct_debit/mandate_reference"
    )
    found = []
    for i, node in enumerate(r.nodes(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")):
        ptr = f"/payment_means/{i}"
        account_node = r.node(node, "ram:PayeePartyCreditorFinancialAccount")
        account = None
        if account_node is not None:
            account = FinancialAccount(
                id=r.text(account_node, "ram:IBANID", f"{ptr}/account/id")
                or r.text(account_node, "ram:ProprietaryID", f"{ptr}/account/id"),
                name=r.text(account_node, "ram:AccountName", f"{ptr}/account/name"),
                service_provider_id=r.text(
                    node,
                    "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID",
                    f"{ptr}/account/service_provider_id",
                ),
            )
        card_node = r.node(node, "ram:ApplicableTradeSettlementFinancialCard")
        debited = r.text(
            node,
            "ram:PayerPartyDebtorFinancialAccount/ram:IBANID",
            f"{ptr}/direct_debit/debited_account_id",
        )
        direct_debit = None
        if debited or ((creditor_id or mandate) and i == 0):
            direct_debit = DirectDebit(
                mandate_reference=mandate, creditor_id=creditor_id, debited_account_id=debited
            )
        remittance = None
        if reference_node is not None and reference_node.text and reference_node.text.strip():
            remittance = r.text(settlement, "ram:PaymentReference", f"{ptr}/remittance_information")
        found.append(
            PaymentMeans(
                type_code=r.text(node, "ram:TypeCode", f"{ptr}/type_code"),
                text=r.text(node, "ram:Information", f"{ptr}/text"),
                remittance_information=remittance,
                account=account,
                card=PaymentCard(
                    primary_account_number=r.text(
                        card_node, "ram:ID", f"{ptr}/card/primary_account_number"
                    ),
                    holder_name=r.text(card_node, "ram:CardholderName", f"{ptr}/card/holder_name"),
                )
                if card_node is not None
                else None,
                direct_debit=direct_debit,
            )
        )
    return tuple(found)


def _allowance_charge(
    r: LocatingReader, node: etree._Element, ptr: str, *, document_level: bool
) -> AllowanceCharge:
    indicator = r.text(node, "ram:ChargeIndicator/udt:Indicator", f"{ptr}/is_charge")
    r.consume(r.node(node, "ram:CategoryTradeTax/ram:TypeCode"))
    return AllowanceCharge(
        is_charge=(indicator or "").lower() == "true",
        amount=r.decimal(node, "ram:ActualAmount", f"{ptr}/amount"),
        base_amount=r.decimal(node, "ram:BasisAmount", f"{ptr}/base_amount"),
        percentage=r.decimal(node, "ram:CalculationPercent", f"{ptr}/percentage"),
        vat_category=r.text(node, "ram:CategoryTradeTax/ram:CategoryCode", f"{ptr}/vat_category")
        if document_level
        else None,
        vat_rate=r.decimal(
            node, "ram:CategoryTradeTax/ram:RateApplicablePercent", f"{ptr}/vat_rate"
        )
        if document_level
        else None,
        reason=r.text(node, "ram:Reason", f"{ptr}/reason"),
        reason_code=r.text(node, "ram:ReasonCode", f"{ptr}/reason_code"),
    )


def _totals(r: LocatingReader, settlement: etree._Element | None) -> Totals | None:
    node = r.node(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    if node is None:
        return None
    currency = (settlement.findtext("ram:InvoiceCurrencyCode", "", NSMAP) or "").strip()
    vat_total = vat_tax_currency = None
    for total in r.nodes(node, "ram:TaxTotalAmount"):
        if total.get("currencyID") in (None, currency) and vat_total is None:
            vat_total = r.decimal(total, "", "/totals/vat_total")
        else:
            vat_tax_currency = r.decimal(total, "", "/totals/vat_total_tax_currency")
    return Totals(
        line_net_total=r.decimal(node, "ram:LineTotalAmount", "/totals/line_net_total"),
        allowance_total=r.decimal(node, "ram:AllowanceTotalAmount", "/totals/allowance_total"),
        charge_total=r.decimal(node, "ram:ChargeTotalAmount", "/totals/charge_total"),
        tax_exclusive=r.decimal(node, "ram:TaxBasisTotalAmount", "/totals/tax_exclusive"),
        vat_total=vat_total,
        vat_total_tax_currency=vat_tax_currency,
        tax_inclusive=r.decimal(node, "ram:GrandTotalAmount", "/totals/tax_inclusive"),
        prepaid=r.decimal(node, "ram:TotalPrepaidAmount", "/totals/prepaid"),
        rounding=r.decimal(node, "ram:RoundingAmount", "/totals/rounding"),
        payable=r.decimal(node, "ram:DuePayableAmount", "/totals/payable"),
    )


def _vat_breakdown(
    r: LocatingReader, settlement: etree._Element | None
) -> tuple[VatBreakdown, ...]:
    rows = []
    for i, node in enumerate(r.nodes(settlement, "ram:ApplicableTradeTax")):
        ptr = f"/vat_breakdown/{i}"
        rows.append(
            VatBreakdown(
                taxable_amount=r.decimal(node, "ram:BasisAmount", f"{ptr}/taxable_amount"),
                tax_amount=r.decimal(node, "ram:CalculatedAmount", f"{ptr}/tax_amount"),
                category=r.text(node, "ram:CategoryCode", f"{ptr}/category"),
                rate=r.decimal(node, "ram:RateApplicablePercent", f"{ptr}/rate"),
                exemption_reason=r.text(node, "ram:ExemptionReason", f"{ptr}/exemption_reason"),
                exemption_reason_code=r.text(
                    node, "ram:ExemptionReasonCode", f"{ptr}/exemption_reason_code"
                ),
                tax_scheme=r.text(node, "ram:TypeCode", f"{ptr}/tax_scheme") or "VAT",
            )
        )
    return tuple(rows)


def _line(r: LocatingReader, node: etree._Element, ptr: str) -> Line:
    doc = r.node(node, "ram:AssociatedDocumentLineDocument")
    agreement = r.node(node, "ram:SpecifiedLineTradeAgreement")
    settlement = r.node(node, "ram:SpecifiedLineTradeSettlement")
    quantity = r.node(node, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity")
    object_ref = None
    for ref in r.nodes(settlement, "ram:AdditionalReferencedDocument"):
        r.consume(r.node(ref, "ram:TypeCode"))
        value = r.text(ref, "ram:IssuerAssignedID", f"{ptr}/object_id/value")
        if value:
            object_ref = Identifier(
                value=value, scheme=r.text(ref, "ram:ReferenceTypeCode", f"{ptr}/object_id/scheme")
            )
    return Line(
        id=r.text(doc, "ram:LineID", f"{ptr}/id"),
        note=r.text(doc, "ram:IncludedNote/ram:Content", f"{ptr}/note"),
        object_id=object_ref,
        quantity=r.decimal(quantity, "", f"{ptr}/quantity") if quantity is not None else None,
        unit_code=r.attr(quantity, "", "unitCode", f"{ptr}/unit_code")
        if quantity is not None
        else None,
        net_amount=r.decimal(
            settlement,
            "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
            f"{ptr}/net_amount",
        ),
        order_line_reference=r.text(
            agreement, "ram:BuyerOrderReferencedDocument/ram:LineID", f"{ptr}/order_line_reference"
        ),
        accounting_reference=r.text(
            settlement,
            "ram:ReceivableSpecifiedTradeAccountingAccount/ram:ID",
            f"{ptr}/accounting_reference",
        ),
        period=_period(r, r.node(settlement, "ram:BillingSpecifiedPeriod"), f"{ptr}/period"),
        allowances_charges=tuple(
            _allowance_charge(r, ac, f"{ptr}/allowances_charges/{i}", document_level=False)
            for i, ac in enumerate(r.nodes(settlement, "ram:SpecifiedTradeAllowanceCharge"))
        ),
        price=_price(r, agreement, f"{ptr}/price"),
        item=_item(
            r,
            r.node(node, "ram:SpecifiedTradeProduct"),
            r.node(settlement, "ram:ApplicableTradeTax"),
            f"{ptr}/item",
        ),
    )


def _price(r: LocatingReader, agreement: etree._Element | None, ptr: str) -> Price | None:
    net = r.node(agreement, "ram:NetPriceProductTradePrice")
    gross = r.node(agreement, "ram:GrossPriceProductTradePrice")
    if net is None and gross is None:
        return None
    base = r.node(net, "ram:BasisQuantity")
    if base is None:
        base = r.node(gross, "ram:BasisQuantity")
    else:
        r.consume(r.node(gross, "ram:BasisQuantity"))  # EN 16931 has one base quantity (BT-149)
    r.consume(r.node(gross, "ram:AppliedTradeAllowanceCharge/ram:ChargeIndicator/udt:Indicator"))
    return Price(
        net=r.decimal(net, "ram:ChargeAmount", f"{ptr}/net"),
        discount=r.decimal(
            gross, "ram:AppliedTradeAllowanceCharge/ram:ActualAmount", f"{ptr}/discount"
        ),
        gross=r.decimal(gross, "ram:ChargeAmount", f"{ptr}/gross"),
        base_quantity=r.decimal(base, "", f"{ptr}/base_quantity") if base is not None else None,
        base_quantity_unit=r.attr(base, "", "unitCode", f"{ptr}/base_quantity_unit")
        if base is not None
        else None,
    )


def _item(
    r: LocatingReader, product: etree._Element | None, tax: etree._Element | None, ptr: str
) -> Item | None:
    if product is None:
        return None
    r.consume(r.node(tax, "ram:TypeCode"))  # always VAT in EN 16931
    return Item(
        name=r.text(product, "ram:Name", f"{ptr}/name"),
        description=r.text(product, "ram:Description", f"{ptr}/description"),
        sellers_id=r.text(product, "ram:SellerAssignedID", f"{ptr}/sellers_id"),
        buyers_id=r.text(product, "ram:BuyerAssignedID", f"{ptr}/buyers_id"),
        standard_id=_identifier(r, product, "ram:GlobalID", f"{ptr}/standard_id"),
        classifications=tuple(
            ItemClassification(
                code=r.text(c, "ram:ClassCode", f"{ptr}/classifications/{i}/code"),
                list_id=r.attr(c, "ram:ClassCode", "listID", f"{ptr}/classifications/{i}/list_id"),
                list_version=r.attr(
                    c, "ram:ClassCode", "listVersionID", f"{ptr}/classifications/{i}/list_version"
                ),
            )
            for i, c in enumerate(r.nodes(product, "ram:DesignatedProductClassification"))
        ),
        origin_country=r.text(product, "ram:OriginTradeCountry/ram:ID", f"{ptr}/origin_country"),
        attributes=tuple(
            ItemAttribute(
                name=r.text(a, "ram:Description", f"{ptr}/attributes/{i}/name"),
                value=r.text(a, "ram:Value", f"{ptr}/attributes/{i}/value"),
            )
            for i, a in enumerate(r.nodes(product, "ram:ApplicableProductCharacteristic"))
        ),
        vat_category=r.text(tax, "ram:CategoryCode", f"{ptr}/vat_category"),
        vat_rate=r.decimal(tax, "ram:RateApplicablePercent", f"{ptr}/vat_rate"),
    )
