"""The business groups of a BIS 3.0 UBL document, each written in its XSD element order."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from formats.model import (
    Address,
    AllowanceCharge,
    Delivery,
    Invoice,
    Line,
    Party,
    PaymentMeans,
    Period,
    TaxRepresentative,
)
from formats.xmlwrite import Element, escape_attribute, escape_text

from .ubl_names import INVOICED_OBJECT_TYPE, SEPA


class Writer:
    """Element builders bound to the document currency (every amount carries it)."""

    __slots__ = ("currency",)

    def __init__(self, currency: str | None) -> None:
        self.currency = currency

    @staticmethod
    def agg(parent: Element, name: str) -> Element:
        node = Element("cac:" + name)
        parent.children.append(node)
        return node

    @staticmethod
    def text(parent: Element, tag: str, value: str | None, /, **attrs: str | None) -> None:
        if not value:
            return
        if attrs:
            parent.leaf("cbc:" + tag, value, attrs)
            return
        if "&" in value or "<" in value or ">" in value or "\r" in value:
            value = escape_text(value)
        parent.children.append(f"<cbc:{tag}>{value}</cbc:{tag}>")

    def amount(
        self, parent: Element, name: str, value: Decimal | None, currency: str | None = None
    ) -> None:
        if value is None:
            return
        tag = "cbc:" + name
        code = escape_attribute(currency or self.currency or "")
        parent.children.append(f'<{tag} currencyID="{code}">{format(value, "f")}</{tag}>')

    @staticmethod
    def number(parent: Element, tag: str, value: Decimal | None, /, **attrs: str | None) -> None:
        if value is None:
            return
        if attrs:
            parent.leaf("cbc:" + tag, format(value, "f"), attrs)
        else:  # a formatted Decimal needs no escaping
            parent.children.append(f"<cbc:{tag}>{format(value, 'f')}</cbc:{tag}>")

    @staticmethod
    def date(parent: Element, name: str, value: date | None) -> None:
        if value is not None:
            parent.leaf("cbc:" + name, value.isoformat())


# --- parties ---------------------------------------------------------------------------------------------


def seller_or_buyer(
    w: Writer, role: Element, party: Party | None, *, seller: bool, invoice: Invoice
) -> None:
    node = w.agg(role, "Party")
    if party is None:
        return
    if party.electronic_address:
        w.text(
            node,
            "EndpointID",
            party.electronic_address.value,
            schemeID=party.electronic_address.scheme,
        )
    for identifier in party.identifiers:
        w.text(
            w.agg(node, "PartyIdentification"), "ID", identifier.value, schemeID=identifier.scheme
        )
    if seller and invoice.payee is None:
        _sepa_creditor(w, node, invoice)
    if party.trading_name:
        w.text(w.agg(node, "PartyName"), "Name", party.trading_name)
    address(w, node, "PostalAddress", party.address)
    if party.vat_id:
        _tax_scheme(w, node, party.vat_id, "VAT")
    if party.tax_registration_id:
        _tax_scheme(w, node, party.tax_registration_id, "TAX")
    legal = w.agg(node, "PartyLegalEntity")
    w.text(legal, "RegistrationName", party.name)
    if party.legal_registration_id:
        w.text(
            legal,
            "CompanyID",
            party.legal_registration_id.value,
            schemeID=party.legal_registration_id.scheme,
        )
    if seller:
        w.text(legal, "CompanyLegalForm", party.legal_form)
    contact = party.contact
    if contact and (contact.name or contact.phone or contact.email):
        c = w.agg(node, "Contact")
        w.text(c, "Name", contact.name)
        w.text(c, "Telephone", contact.phone)
        w.text(c, "ElectronicMail", contact.email)


def _sepa_creditor(w: Writer, node: Element, invoice: Invoice) -> None:
    """BT-90, the bank-assigned creditor id, is a SEPA party identification of the payee/seller."""
    creditor = next(
        (
            m.direct_debit.creditor_id
            for m in invoice.payment_means
            if m.direct_debit and m.direct_debit.creditor_id
        ),
        None,
    )
    if creditor:
        w.text(w.agg(node, "PartyIdentification"), "ID", creditor, schemeID=SEPA)


def _tax_scheme(w: Writer, node: Element, company_id: str, scheme: str) -> None:
    tax = w.agg(node, "PartyTaxScheme")
    w.text(tax, "CompanyID", company_id)
    w.text(w.agg(tax, "TaxScheme"), "ID", scheme)


def address(w: Writer, parent: Element, name: str, value: Address | None) -> None:
    if value is None:
        return
    node = w.agg(parent, name)
    w.text(node, "StreetName", value.line1)
    w.text(node, "AdditionalStreetName", value.line2)
    w.text(node, "CityName", value.city)
    w.text(node, "PostalZone", value.post_code)
    w.text(node, "CountrySubentity", value.subdivision)
    if value.line3:
        w.text(w.agg(node, "AddressLine"), "Line", value.line3)
    if value.country_code:
        w.text(w.agg(node, "Country"), "IdentificationCode", value.country_code)


def payee(w: Writer, root: Element, invoice: Invoice) -> None:
    value = invoice.payee
    if value is None:
        return
    node = w.agg(root, "PayeeParty")
    if value.identifier:
        w.text(
            w.agg(node, "PartyIdentification"),
            "ID",
            value.identifier.value,
            schemeID=value.identifier.scheme,
        )
    _sepa_creditor(w, node, invoice)
    w.text(w.agg(node, "PartyName"), "Name", value.name)
    if value.legal_registration_id:
        legal = w.agg(node, "PartyLegalEntity")
        w.text(
            legal,
            "CompanyID",
            value.legal_registration_id.value,
            schemeID=value.legal_registration_id.scheme,
        )


def tax_representative(w: Writer, root: Element, value: TaxRepresentative | None) -> None:
    if value is None:
        return
    node = w.agg(root, "TaxRepresentativeParty")
    w.text(w.agg(node, "PartyName"), "Name", value.name)
    address(w, node, "PostalAddress", value.address)
    if value.vat_id:
        _tax_scheme(w, node, value.vat_id, "VAT")


def delivery(w: Writer, root: Element, value: Delivery | None) -> None:
    if value is None:
        return
    node = w.agg(root, "Delivery")
    w.date(node, "ActualDeliveryDate", value.actual_date)
    if value.location_id or value.address:
        location = w.agg(node, "DeliveryLocation")
        if value.location_id:
            w.text(location, "ID", value.location_id.value, schemeID=value.location_id.scheme)
        address(w, location, "Address", value.address)
    if value.party_name:
        w.text(w.agg(w.agg(node, "DeliveryParty"), "PartyName"), "Name", value.party_name)


def period(
    w: Writer, parent: Element, value: Period | None, *, description_code: str | None = None
) -> None:
    node = w.agg(parent, "InvoicePeriod")
    if value is not None:
        w.date(node, "StartDate", value.start)
        w.date(node, "EndDate", value.end)
    w.text(node, "DescriptionCode", description_code)


# --- payment -----------------------------------------------------------------------------------------------


def payment_means(w: Writer, root: Element, means: PaymentMeans, *, due_date: date | None) -> None:
    node = w.agg(root, "PaymentMeans")
    w.text(node, "PaymentMeansCode", means.type_code, name=means.text)
    w.date(node, "PaymentDueDate", due_date)
    w.text(node, "PaymentID", means.remittance_information)
    if means.card:
        card = w.agg(node, "CardAccount")
        w.text(card, "PrimaryAccountNumberID", means.card.primary_account_number)
        w.text(card, "NetworkID", means.card.network_id or "NA")
        w.text(card, "HolderName", means.card.holder_name)
    if means.account:
        account = w.agg(node, "PayeeFinancialAccount")
        w.text(account, "ID", means.account.id)
        w.text(account, "Name", means.account.name)
        if means.account.service_provider_id:
            w.text(
                w.agg(account, "FinancialInstitutionBranch"),
                "ID",
                means.account.service_provider_id,
            )
    debit = means.direct_debit
    if debit and (debit.mandate_reference or debit.debited_account_id):
        mandate = w.agg(node, "PaymentMandate")
        w.text(mandate, "ID", debit.mandate_reference)
        if debit.debited_account_id:
            w.text(w.agg(mandate, "PayerFinancialAccount"), "ID", debit.debited_account_id)


def allowance_charge(
    w: Writer, parent: Element, ac: AllowanceCharge, *, document_level: bool
) -> None:
    node = w.agg(parent, "AllowanceCharge")
    w.text(node, "ChargeIndicator", "true" if ac.is_charge else "false")
    w.text(node, "AllowanceChargeReasonCode", ac.reason_code)
    w.text(node, "AllowanceChargeReason", ac.reason)
    w.number(node, "MultiplierFactorNumeric", ac.percentage)
    w.amount(node, "Amount", ac.amount if ac.amount is not None else Decimal("0"))
    w.amount(node, "BaseAmount", ac.base_amount)
    if document_level:
        _tax_category(w, node, "TaxCategory", ac.vat_category, ac.vat_rate)


def _tax_category(
    w: Writer,
    parent: Element,
    name: str,
    category: str | None,
    rate: Decimal | None,
    *,
    reason_code: str | None = None,
    reason: str | None = None,
    scheme: str = "VAT",
) -> None:
    node = w.agg(parent, name)
    w.text(node, "ID", category)
    w.number(node, "Percent", rate)
    w.text(node, "TaxExemptionReasonCode", reason_code)
    w.text(node, "TaxExemptionReason", reason)
    w.text(w.agg(node, "TaxScheme"), "ID", scheme)


def tax_totals(w: Writer, root: Element, inv: Invoice) -> None:
    totals = inv.totals
    node = w.agg(root, "TaxTotal")
    w.amount(
        node,
        "TaxAmount",
        totals.vat_total if totals and totals.vat_total is not None else Decimal("0.00"),
    )
    for row in inv.vat_breakdown:
        sub = w.agg(node, "TaxSubtotal")
        w.amount(sub, "TaxableAmount", row.taxable_amount)
        w.amount(sub, "TaxAmount", row.tax_amount)
        _tax_category(
            w,
            sub,
            "TaxCategory",
            row.category,
            row.rate,
            reason_code=row.exemption_reason_code,
            reason=row.exemption_reason,
            scheme=row.tax_scheme,
        )
    if inv.tax_currency and totals and totals.vat_total_tax_currency is not None:
        # BT-111: a second TaxTotal in the VAT accounting currency, without subtotals.
        w.amount(
            w.agg(root, "TaxTotal"), "TaxAmount", totals.vat_total_tax_currency, inv.tax_currency
        )


def totals(w: Writer, root: Element, inv: Invoice) -> None:
    t = inv.totals
    node = w.agg(root, "LegalMonetaryTotal")
    if t is None:
        return
    w.amount(node, "LineExtensionAmount", t.line_net_total)
    w.amount(node, "TaxExclusiveAmount", t.tax_exclusive)
    w.amount(node, "TaxInclusiveAmount", t.tax_inclusive)
    w.amount(node, "AllowanceTotalAmount", t.allowance_total)
    w.amount(node, "ChargeTotalAmount", t.charge_total)
    w.amount(node, "PrepaidAmount", t.prepaid)
    w.amount(node, "PayableRoundingAmount", t.rounding)
    w.amount(node, "PayableAmount", t.payable)


# --- lines ---------------------------------------------------------------------------------------------------


def line(w: Writer, root: Element, value: Line, *, credit: bool) -> None:
    node = w.agg(root, "CreditNoteLine" if credit else "InvoiceLine")
    w.text(node, "ID", value.id)
    w.text(node, "Note", value.note)
    w.number(
        node,
        "CreditedQuantity" if credit else "InvoicedQuantity",
        value.quantity,
        unitCode=value.unit_code,
    )
    w.amount(node, "LineExtensionAmount", value.net_amount)
    w.text(node, "AccountingCost", value.accounting_reference)
    if value.period:
        period(w, node, value.period)
    if value.order_line_reference:
        w.text(w.agg(node, "OrderLineReference"), "LineID", value.order_line_reference)
    if value.object_id:
        ref = w.agg(node, "DocumentReference")
        w.text(ref, "ID", value.object_id.value, schemeID=value.object_id.scheme)
        w.text(ref, "DocumentTypeCode", INVOICED_OBJECT_TYPE)
    for ac in value.allowances_charges:
        allowance_charge(w, node, ac, document_level=False)
    _item(w, node, value)
    _price(w, node, value)


def _item(w: Writer, node: Element, value: Line) -> None:
    item = value.item
    el = w.agg(node, "Item")
    if item is None:
        return
    w.text(el, "Description", item.description)
    w.text(el, "Name", item.name)
    if item.buyers_id:
        w.text(w.agg(el, "BuyersItemIdentification"), "ID", item.buyers_id)
    if item.sellers_id:
        w.text(w.agg(el, "SellersItemIdentification"), "ID", item.sellers_id)
    if item.standard_id:
        w.text(
            w.agg(el, "StandardItemIdentification"),
            "ID",
            item.standard_id.value,
            schemeID=item.standard_id.scheme,
        )
    if item.origin_country:
        w.text(w.agg(el, "OriginCountry"), "IdentificationCode", item.origin_country)
    for c in item.classifications:
        w.text(
            w.agg(el, "CommodityClassification"),
            "ItemClassificationCode",
            c.code,
            listID=c.list_id,
            listVersionID=c.list_version,
        )
    _tax_category(w, el, "ClassifiedTaxCategory", item.vat_category, item.vat_rate)
    for attribute in item.attributes:
        prop = w.agg(el, "AdditionalItemProperty")
        w.text(prop, "Name", attribute.name)
        w.text(prop, "Value", attribute.value)


def _price(w: Writer, node: Element, value: Line) -> None:
    price = value.price
    el = w.agg(node, "Price")
    if price is None:
        return
    w.amount(el, "PriceAmount", price.net)
    w.number(el, "BaseQuantity", price.base_quantity, unitCode=price.base_quantity_unit)
    if price.discount is not None or price.gross is not None:
        ac = w.agg(el, "AllowanceCharge")
        w.text(ac, "ChargeIndicator", "false")
        w.amount(ac, "Amount", price.discount if price.discount is not None else Decimal("0"))
        w.amount(ac, "BaseAmount", price.gross)
