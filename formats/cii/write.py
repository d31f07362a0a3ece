"""Model → UN/CEFACT CII D16B ``CrossIndustryInvoice`` per the EN 16931 syntax binding.

A pure function of the model: element order follows the D16B subset XSD that the CEN validation
artefacts use. CII has room for a single preceding invoice reference and no Swedish giro marker;
those losses are listed in the conversion report (``write_with_report``), never silent.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lxml import etree

from formats.errors import FormatError
from formats.model import (
    Address,
    AllowanceCharge,
    Contact,
    Identifier,
    Invoice,
    Line,
    Party,
    PaymentMeans,
    Period,
)
from formats.model.totals import complete

from .names import NSMAP, OBJECT_TYPE, QDT, RAM, RSM, SUPPORTING_TYPE, TENDER_TYPE, UDT


@dataclass(frozen=True, slots=True)
class Written:
    """A CII document and the business terms it could not keep."""

    content: bytes
    dropped: tuple[str, ...] = ()


def write(invoice: Invoice) -> bytes:
    return write_with_report(invoice).content


def write_with_report(invoice: Invoice) -> Written:
    invoice = complete(invoice)
    if not invoice.number or not invoice.issue_date:
        raise FormatError(
            "CII requires the invoice number (BT-1) and issue date (BT-2)", location="/number"
        )
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _sub(root, RSM, "ExchangedDocumentContext")
    if invoice.profile_id:
        _text(
            _ram(context, "BusinessProcessSpecifiedDocumentContextParameter"),
            "ID",
            invoice.profile_id,
        )
    _text(
        _ram(context, "GuidelineSpecifiedDocumentContextParameter"),
        "ID",
        invoice.customization_id or "urn:cen.eu:en16931:2017",
    )
    document = _sub(root, RSM, "ExchangedDocument")
    _text(document, "ID", invoice.number)
    _text(document, "TypeCode", invoice.type_code or ("381" if invoice.is_credit_note else "380"))
    _date_time(_ram(document, "IssueDateTime"), invoice.issue_date)
    for note in invoice.notes:
        _note(_ram(document, "IncludedNote"), note)
    transaction = _sub(root, RSM, "SupplyChainTradeTransaction")
    for line in invoice.lines:
        _line(_ram(transaction, "IncludedSupplyChainTradeLineItem"), invoice, line)
    _agreement(_ram(transaction, "ApplicableHeaderTradeAgreement"), invoice)
    _delivery(_ram(transaction, "ApplicableHeaderTradeDelivery"), invoice)
    _settlement(_ram(transaction, "ApplicableHeaderTradeSettlement"), invoice)
    content = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return Written(content, _dropped(invoice))


_SUBJECT = re.compile(r"^#([A-Z]{3})#(.*)$", re.DOTALL)


def _note(node: etree._Element, note: str) -> None:
    """A ``#CODE#text`` note (the UBL convention for BT-21) gets CII's own SubjectCode."""
    match = _SUBJECT.match(note)
    _text(node, "Content", match.group(2) if match else note)
    if match:
        _text(node, "SubjectCode", match.group(1))


def _dropped(invoice: Invoice) -> tuple[str, ...]:
    dropped = []
    if len(invoice.preceding_invoices) > 1:
        dropped.append("BG-3 preceding invoice references beyond the first")
    if any(
        m.account and m.account.service_provider_id in ("SE:BANKGIRO", "SE:PLUSGIRO")
        for m in invoice.payment_means
    ):
        dropped.append(
            "BT-86 Swedish giro marker (SE:BANKGIRO/SE:PLUSGIRO): the account number is kept"
        )
    if (
        len({m.remittance_information for m in invoice.payment_means if m.remittance_information})
        > 1
    ):
        dropped.append("BT-83 remittance information beyond the first")
    return tuple(dropped)


# --- header agreement, delivery, settlement -----------------------------------------------------------


def _agreement(node: etree._Element, invoice: Invoice) -> None:
    _text(node, "BuyerReference", invoice.buyer_reference)
    _party(_ram(node, "SellerTradeParty"), invoice.seller, seller=True)
    _party(_ram(node, "BuyerTradeParty"), invoice.buyer, seller=False)
    representative = invoice.tax_representative
    if representative:
        rep = _ram(node, "SellerTaxRepresentativeTradeParty")
        _text(rep, "Name", representative.name)
        _address(rep, representative.address)
        _tax_registration(rep, representative.vat_id, "VA")
    _referenced(node, "SellerOrderReferencedDocument", invoice.sales_order_reference)
    _referenced(node, "BuyerOrderReferencedDocument", invoice.purchase_order_reference)
    _referenced(node, "ContractReferencedDocument", invoice.contract_reference)
    for doc in invoice.supporting_documents:
        ref = _ram(node, "AdditionalReferencedDocument")
        _text(ref, "IssuerAssignedID", doc.id)
        _text(ref, "URIID", doc.url)
        _text(ref, "TypeCode", SUPPORTING_TYPE)
        _text(ref, "Name", doc.description)
        if doc.attachment is not None:
            binary = _text(
                ref,
                "AttachmentBinaryObject",
                base64.b64encode(doc.attachment.content).decode("ascii"),
            )
            binary.set("mimeCode", doc.attachment.mime_code or "application/octet-stream")
            binary.set("filename", doc.attachment.filename or "attachment")
    if invoice.tender_reference:
        ref = _ram(node, "AdditionalReferencedDocument")
        _text(ref, "IssuerAssignedID", invoice.tender_reference)
        _text(ref, "TypeCode", TENDER_TYPE)
    if invoice.invoiced_object_id:
        _object_reference(node, invoice.invoiced_object_id)
    if invoice.project_reference:
        project = _ram(node, "SpecifiedProcuringProject")
        _text(project, "ID", invoice.project_reference)
        _text(project, "Name", "Project reference")


def _object_reference(node: etree._Element, identifier: Identifier) -> None:
    ref = _ram(node, "AdditionalReferencedDocument")
    _text(ref, "IssuerAssignedID", identifier.value)
    _text(ref, "TypeCode", OBJECT_TYPE)
    _text(ref, "ReferenceTypeCode", identifier.scheme)


def _delivery(node: etree._Element, invoice: Invoice) -> None:
    delivery = invoice.delivery
    if delivery is not None and (delivery.party_name or delivery.location_id or delivery.address):
        ship_to = _ram(node, "ShipToTradeParty")
        _party_id(ship_to, delivery.location_id)
        _text(ship_to, "Name", delivery.party_name)
        _address(ship_to, delivery.address)
    if delivery is not None and delivery.actual_date:
        event = _ram(node, "ActualDeliverySupplyChainEvent")
        _date_time(_ram(event, "OccurrenceDateTime"), delivery.actual_date)
    _referenced(node, "DespatchAdviceReferencedDocument", invoice.despatch_advice_reference)
    _referenced(node, "ReceivingAdviceReferencedDocument", invoice.receiving_advice_reference)


def _settlement(node: etree._Element, invoice: Invoice) -> None:
    debit = next((m.direct_debit for m in invoice.payment_means if m.direct_debit), None)
    _text(node, "CreditorReferenceID", debit.creditor_id if debit else None)
    reference = next(
        (m.remittance_information for m in invoice.payment_means if m.remittance_information), None
    )
    _text(node, "PaymentReference", reference)
    _text(node, "TaxCurrencyCode", invoice.tax_currency)
    _text(node, "InvoiceCurrencyCode", invoice.currency)
    payee = invoice.payee
    if payee:
        party = _ram(node, "PayeeTradeParty")
        _party_id(party, payee.identifier)
        _text(party, "Name", payee.name)
        if payee.legal_registration_id:
            _scheme(
                _text(
                    _ram(party, "SpecifiedLegalOrganization"),
                    "ID",
                    payee.legal_registration_id.value,
                ),
                payee.legal_registration_id.scheme,
            )
    for means in invoice.payment_means:
        _payment_means(_ram(node, "SpecifiedTradeSettlementPaymentMeans"), means)
    for index, row in enumerate(invoice.vat_breakdown):
        tax = _ram(node, "ApplicableTradeTax")
        _amount(tax, "CalculatedAmount", row.tax_amount)
        _text(tax, "TypeCode", "VAT")
        _text(tax, "ExemptionReason", row.exemption_reason)
        _amount(tax, "BasisAmount", row.taxable_amount)
        _text(tax, "CategoryCode", row.category)
        _text(tax, "ExemptionReasonCode", row.exemption_reason_code)
        # BT-7 and BT-8 are document-level: CII carries them once, on the first breakdown row.
        if invoice.tax_point_date and index == 0:
            _date_string(_ram(tax, "TaxPointDate"), invoice.tax_point_date)
        _text(tax, "DueDateTypeCode", invoice.tax_point_date_code if index == 0 else None)
        if row.rate is not None:
            _text(tax, "RateApplicablePercent", _decimal(row.rate))
    _period(node, invoice.invoice_period)
    for ac in invoice.allowances_charges:
        _allowance_charge(_ram(node, "SpecifiedTradeAllowanceCharge"), ac, document_level=True)
    if invoice.payment_terms or invoice.due_date or debit:
        terms = _ram(node, "SpecifiedTradePaymentTerms")
        _text(terms, "Description", invoice.payment_terms)
        if invoice.due_date:
            _date_time(_ram(terms, "DueDateDateTime"), invoice.due_date)
        _text(terms, "DirectDebitMandateID", debit.mandate_reference if debit else None)
    _totals(_ram(node, "SpecifiedTradeSettlementHeaderMonetarySummation"), invoice)
    if invoice.preceding_invoices:
        preceding = invoice.preceding_invoices[0]
        ref = _ram(node, "InvoiceReferencedDocument")
        _text(ref, "IssuerAssignedID", preceding.id)
        if preceding.issue_date:
            formatted = _ram(ref, "FormattedIssueDateTime")
            stamp = etree.SubElement(formatted, f"{{{QDT}}}DateTimeString", format="102")
            stamp.text = preceding.issue_date.strftime("%Y%m%d")
    if invoice.buyer_accounting_reference:
        _text(
            _ram(node, "ReceivableSpecifiedTradeAccountingAccount"),
            "ID",
            invoice.buyer_accounting_reference,
        )


def _payment_means(node: etree._Element, means: PaymentMeans) -> None:
    _text(node, "TypeCode", means.type_code)
    _text(node, "Information", means.text)
    if means.card:
        card = _ram(node, "ApplicableTradeSettlementFinancialCard")
        _text(card, "ID", means.card.primary_account_number)
        _text(card, "CardholderName", means.card.holder_name)
    if means.direct_debit and means.direct_debit.debited_account_id:
        _text(
            _ram(node, "PayerPartyDebtorFinancialAccount"),
            "IBANID",
            means.direct_debit.debited_account_id,
        )
    account = means.account
    if account and account.id:
        creditor = _ram(node, "PayeePartyCreditorFinancialAccount")
        is_iban = account.id[:2].isalpha() and account.id[2:4].isdigit()
        if is_iban:
            _text(creditor, "IBANID", account.id)
        _text(creditor, "AccountName", account.name)
        if not is_iban:
            _text(creditor, "ProprietaryID", account.id)
        provider = account.service_provider_id
        if provider and provider not in ("SE:BANKGIRO", "SE:PLUSGIRO"):
            _text(_ram(node, "PayeeSpecifiedCreditorFinancialInstitution"), "BICID", provider)


def _totals(node: etree._Element, invoice: Invoice) -> None:
    totals = invoice.totals
    if totals is None:
        raise FormatError("CII requires the document totals (BG-22)", location="/totals")
    _amount(node, "LineTotalAmount", totals.line_net_total)
    _amount(node, "ChargeTotalAmount", totals.charge_total)
    _amount(node, "AllowanceTotalAmount", totals.allowance_total)
    _amount(node, "TaxBasisTotalAmount", totals.tax_exclusive)
    if totals.vat_total is not None:
        _amount(node, "TaxTotalAmount", totals.vat_total).set("currencyID", invoice.currency or "")
    if invoice.tax_currency and totals.vat_total_tax_currency is not None:
        _amount(node, "TaxTotalAmount", totals.vat_total_tax_currency).set(
            "currencyID", invoice.tax_currency
        )
    _amount(node, "RoundingAmount", totals.rounding)
    _amount(node, "GrandTotalAmount", totals.tax_inclusive)
    _amount(node, "TotalPrepaidAmount", totals.prepaid)
    _amount(node, "DuePayableAmount", totals.payable)


# --- parties --------------------------------------------------------------------------------------------


def _party(node: etree._Element, party: Party | None, *, seller: bool) -> None:
    if party is None:
        raise FormatError(
            "CII requires seller (BG-4) and buyer (BG-7)",
            location="/seller" if seller else "/buyer",
        )
    for identifier in party.identifiers:
        _party_id(node, identifier)
    _text(node, "Name", party.name)
    _text(node, "Description", party.legal_form if seller else None)
    if party.legal_registration_id or party.trading_name:
        legal = _ram(node, "SpecifiedLegalOrganization")
        if party.legal_registration_id:
            _scheme(
                _text(legal, "ID", party.legal_registration_id.value),
                party.legal_registration_id.scheme,
            )
        _text(legal, "TradingBusinessName", party.trading_name)
    _contact(node, party.contact)
    _address(node, party.address)
    if party.electronic_address:
        uri = _text(
            _ram(node, "URIUniversalCommunication"), "URIID", party.electronic_address.value
        )
        _scheme(uri, party.electronic_address.scheme)
    _tax_registration(node, party.vat_id, "VA")
    _tax_registration(node, party.tax_registration_id if seller else None, "FC")


def _party_id(node: etree._Element, identifier: Identifier | None) -> None:
    if identifier is None:
        return
    if identifier.scheme:
        _scheme(_text(node, "GlobalID", identifier.value), identifier.scheme)
    else:
        _text(node, "ID", identifier.value)


def _tax_registration(node: etree._Element, value: str | None, scheme: str) -> None:
    if value:
        _scheme(_text(_ram(node, "SpecifiedTaxRegistration"), "ID", value), scheme)


def _contact(node: etree._Element, contact: Contact | None) -> None:
    if contact is None or not (contact.name or contact.phone or contact.email):
        return
    el = _ram(node, "DefinedTradeContact")
    _text(el, "PersonName", contact.name)
    if contact.phone:
        _text(_ram(el, "TelephoneUniversalCommunication"), "CompleteNumber", contact.phone)
    if contact.email:
        _text(_ram(el, "EmailURIUniversalCommunication"), "URIID", contact.email)


def _address(node: etree._Element, address: Address | None) -> None:
    if address is None:
        return
    el = _ram(node, "PostalTradeAddress")
    _text(el, "PostcodeCode", address.post_code)
    _text(el, "LineOne", address.line1)
    _text(el, "LineTwo", address.line2)
    _text(el, "LineThree", address.line3)
    _text(el, "CityName", address.city)
    _text(el, "CountryID", address.country_code)
    _text(el, "CountrySubDivisionName", address.subdivision)


# --- lines ------------------------------------------------------------------------------------------------


def _line(node: etree._Element, invoice: Invoice, line: Line) -> None:
    doc = _ram(node, "AssociatedDocumentLineDocument")
    _text(doc, "LineID", line.id)
    if line.note:
        _text(_ram(doc, "IncludedNote"), "Content", line.note)
    item = line.item
    product = _ram(node, "SpecifiedTradeProduct")
    if item is not None:
        if item.standard_id:
            _scheme(_text(product, "GlobalID", item.standard_id.value), item.standard_id.scheme)
        _text(product, "SellerAssignedID", item.sellers_id)
        _text(product, "BuyerAssignedID", item.buyers_id)
        _text(product, "Name", item.name)
        _text(product, "Description", item.description)
        for attribute in item.attributes:
            characteristic = _ram(product, "ApplicableProductCharacteristic")
            _text(characteristic, "Description", attribute.name)
            _text(characteristic, "Value", attribute.value)
        for classification in item.classifications:
            code = _text(
                _ram(product, "DesignatedProductClassification"), "ClassCode", classification.code
            )
            if classification.list_id:
                code.set("listID", classification.list_id)
            if classification.list_version:
                code.set("listVersionID", classification.list_version)
        if item.origin_country:
            _text(_ram(product, "OriginTradeCountry"), "ID", item.origin_country)
    _line_agreement(_ram(node, "SpecifiedLineTradeAgreement"), line)
    quantity = _text(
        _ram(node, "SpecifiedLineTradeDelivery"),
        "BilledQuantity",
        _decimal(line.quantity) if line.quantity is not None else "0",
    )
    quantity.set("unitCode", line.unit_code or "C62")
    _line_settlement(_ram(node, "SpecifiedLineTradeSettlement"), line)


def _line_agreement(node: etree._Element, line: Line) -> None:
    if line.order_line_reference:
        _text(_ram(node, "BuyerOrderReferencedDocument"), "LineID", line.order_line_reference)
    price = line.price
    if price is None:
        return
    if price.gross is not None:
        gross = _ram(node, "GrossPriceProductTradePrice")
        _amount(gross, "ChargeAmount", price.gross)
        _base_quantity(gross, price.base_quantity, price.base_quantity_unit)
        if price.discount is not None:
            discount = _ram(gross, "AppliedTradeAllowanceCharge")
            _indicator(discount, False)
            _amount(discount, "ActualAmount", price.discount)
    net = _ram(node, "NetPriceProductTradePrice")
    _amount(net, "ChargeAmount", price.net if price.net is not None else Decimal("0"))
    _base_quantity(net, price.base_quantity, price.base_quantity_unit)


def _base_quantity(node: etree._Element, quantity: Decimal | None, unit: str | None) -> None:
    if quantity is not None:
        el = _text(node, "BasisQuantity", _decimal(quantity))
        if unit:
            el.set("unitCode", unit)


def _line_settlement(node: etree._Element, line: Line) -> None:
    item = line.item
    tax = _ram(node, "ApplicableTradeTax")
    _text(tax, "TypeCode", "VAT")
    _text(tax, "CategoryCode", item.vat_category if item else None)
    if item is not None and item.vat_rate is not None:
        _text(tax, "RateApplicablePercent", _decimal(item.vat_rate))
    _period(node, line.period)
    for ac in line.allowances_charges:
        _allowance_charge(_ram(node, "SpecifiedTradeAllowanceCharge"), ac, document_level=False)
    _amount(
        _ram(node, "SpecifiedTradeSettlementLineMonetarySummation"),
        "LineTotalAmount",
        line.net_amount,
    )
    if line.object_id:
        _object_reference(node, line.object_id)
    if line.accounting_reference:
        _text(
            _ram(node, "ReceivableSpecifiedTradeAccountingAccount"), "ID", line.accounting_reference
        )


def _allowance_charge(node: etree._Element, ac: AllowanceCharge, *, document_level: bool) -> None:
    _indicator(node, ac.is_charge)
    if ac.percentage is not None:
        _text(node, "CalculationPercent", _decimal(ac.percentage))
    _amount(node, "BasisAmount", ac.base_amount)
    _amount(node, "ActualAmount", ac.amount)
    _text(node, "ReasonCode", ac.reason_code)
    _text(node, "Reason", ac.reason)
    if document_level:
        tax = _ram(node, "CategoryTradeTax")
        _text(tax, "TypeCode", "VAT")
        _text(tax, "CategoryCode", ac.vat_category)
        if ac.vat_rate is not None:
            _text(tax, "RateApplicablePercent", _decimal(ac.vat_rate))


def _period(node: etree._Element, period: Period | None) -> None:
    if period is None or not (period.start or period.end):
        return
    el = _ram(node, "BillingSpecifiedPeriod")
    if period.start:
        _date_time(_ram(el, "StartDateTime"), period.start)
    if period.end:
        _date_time(_ram(el, "EndDateTime"), period.end)


def _referenced(node: etree._Element, name: str, value: str | None) -> None:
    if value:
        _text(_ram(node, name), "IssuerAssignedID", value)


# --- primitives -------------------------------------------------------------------------------------------


def _sub(parent: etree._Element, ns: str, name: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{ns}}}{name}")


def _ram(parent: etree._Element, name: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{RAM}}}{name}")


def _text(parent: etree._Element, name: str, value: str | None) -> etree._Element | None:
    if value is None or value == "":
        return None
    el = etree.SubElement(parent, f"{{{RAM}}}{name}")
    el.text = value
    return el


def _scheme(el: etree._Element | None, scheme: str | None) -> None:
    if el is not None and scheme:
        el.set("schemeID", scheme)


def _amount(parent: etree._Element, name: str, value: Decimal | None) -> etree._Element | None:
    return _text(parent, name, _decimal(value) if value is not None else None)


def _indicator(parent: etree._Element, value: bool) -> None:
    wrapper = _ram(parent, "ChargeIndicator")
    etree.SubElement(wrapper, f"{{{UDT}}}Indicator").text = "true" if value else "false"


def _date_time(parent: etree._Element, value: date) -> None:
    etree.SubElement(parent, f"{{{UDT}}}DateTimeString", format="102").text = value.strftime(
        "%Y%m%d"
    )


def _date_string(parent: etree._Element, value: date) -> None:
    etree.SubElement(parent, f"{{{UDT}}}DateString", format="102").text = value.strftime("%Y%m%d")


def _decimal(value: Decimal) -> str:
    return format(value, "f")
