"""Reading the business groups of a BIS 3.0 UBL document into the model."""

from __future__ import annotations

from lxml import etree

from formats.model import (
    Address,
    AllowanceCharge,
    Contact,
    Delivery,
    DirectDebit,
    FinancialAccount,
    Identifier,
    Item,
    ItemAttribute,
    ItemClassification,
    Line,
    Party,
    Payee,
    PaymentCard,
    PaymentMeans,
    Period,
    Price,
    TaxRepresentative,
    Totals,
    VatBreakdown,
)
from formats.xmlpaths import LocatingReader

from .ubl_names import SEPA

Node = etree._Element | None


def _identifier(r: LocatingReader, node: Node, path: str, ptr: str) -> Identifier | None:
    value = r.text(node, path, f"{ptr}/value")
    if value is None:
        return None
    return Identifier(value=value, scheme=r.attr(node, path, "schemeID", f"{ptr}/scheme"))


def _party_identifiers(r: LocatingReader, node: Node, ptr: str) -> tuple[Identifier, ...]:
    found = []
    for ident in r.nodes(node, "cac:PartyIdentification/cbc:ID"):
        if (ident.get("schemeID") or "").upper() == SEPA:
            continue  # BT-90, read with the direct debit
        i = len(found)
        value = r.text(ident, "", f"{ptr}/{i}/value")
        if value:
            found.append(
                Identifier(value=value, scheme=r.attr(ident, "", "schemeID", f"{ptr}/{i}/scheme"))
            )
    return tuple(found)


def sepa_creditor(r: LocatingReader, root: etree._Element, ptr: str) -> str | None:
    for path in ("cac:PayeeParty", "cac:AccountingSupplierParty/cac:Party"):
        for ident in r.nodes(r.node(root, path), "cac:PartyIdentification/cbc:ID"):
            if (ident.get("schemeID") or "").upper() == SEPA:
                return r.text(ident, "", ptr)
    return None


def party(r: LocatingReader, node: Node, ptr: str, *, seller: bool) -> Party | None:
    if node is None:
        return None
    vat = tax_registration = None
    for scheme in r.nodes(node, "cac:PartyTaxScheme"):
        scheme_id = r.node(scheme, "cac:TaxScheme/cbc:ID")
        r.consume(scheme_id)
        if scheme_id is not None and (scheme_id.text or "").strip() == "VAT":
            vat = r.text(scheme, "cbc:CompanyID", f"{ptr}/vat_id")
        else:
            tax_registration = r.text(scheme, "cbc:CompanyID", f"{ptr}/tax_registration_id")
    legal = r.node(node, "cac:PartyLegalEntity")
    return Party(
        name=r.text(legal, "cbc:RegistrationName", f"{ptr}/name"),
        trading_name=r.text(node, "cac:PartyName/cbc:Name", f"{ptr}/trading_name"),
        identifiers=_party_identifiers(r, node, f"{ptr}/identifiers"),
        legal_registration_id=_identifier(
            r, legal, "cbc:CompanyID", f"{ptr}/legal_registration_id"
        ),
        vat_id=vat,
        tax_registration_id=tax_registration,
        legal_form=r.text(legal, "cbc:CompanyLegalForm", f"{ptr}/legal_form"),
        electronic_address=_identifier(r, node, "cbc:EndpointID", f"{ptr}/electronic_address"),
        address=address(r, r.node(node, "cac:PostalAddress"), f"{ptr}/address"),
        contact=_contact(r, r.node(node, "cac:Contact"), f"{ptr}/contact"),
    )


def _contact(r: LocatingReader, node: Node, ptr: str) -> Contact | None:
    if node is None:
        return None
    return Contact(
        name=r.text(node, "cbc:Name", f"{ptr}/name"),
        phone=r.text(node, "cbc:Telephone", f"{ptr}/phone"),
        email=r.text(node, "cbc:ElectronicMail", f"{ptr}/email"),
    )


def address(r: LocatingReader, node: Node, ptr: str) -> Address | None:
    if node is None:
        return None
    return Address(
        line1=r.text(node, "cbc:StreetName", f"{ptr}/line1"),
        line2=r.text(node, "cbc:AdditionalStreetName", f"{ptr}/line2"),
        line3=r.text(node, "cac:AddressLine/cbc:Line", f"{ptr}/line3"),
        city=r.text(node, "cbc:CityName", f"{ptr}/city"),
        post_code=r.text(node, "cbc:PostalZone", f"{ptr}/post_code"),
        subdivision=r.text(node, "cbc:CountrySubentity", f"{ptr}/subdivision"),
        country_code=r.text(node, "cac:Country/cbc:IdentificationCode", f"{ptr}/country_code"),
    )


def payee(r: LocatingReader, node: Node) -> Payee | None:
    if node is None:
        return None
    ids = _party_identifiers(r, node, "/payee/identifiers")
    if ids:  # BT-60 is a single identifier; its location is the first one's
        r.found["/payee/identifier/value"] = r.found.pop("/payee/identifiers/0/value")
    return Payee(
        name=r.text(node, "cac:PartyName/cbc:Name", "/payee/name"),
        identifier=ids[0] if ids else None,
        legal_registration_id=_identifier(
            r, node, "cac:PartyLegalEntity/cbc:CompanyID", "/payee/legal_registration_id"
        ),
    )


def tax_representative(r: LocatingReader, node: Node) -> TaxRepresentative | None:
    if node is None:
        return None
    vat_id = None
    for scheme in r.nodes(node, "cac:PartyTaxScheme"):
        scheme_id = r.node(scheme, "cac:TaxScheme/cbc:ID")
        r.consume(scheme_id)
        if scheme_id is not None and (scheme_id.text or "").strip().upper() == "VAT":
            vat_id = r.text(scheme, "cbc:CompanyID", "/tax_representative/vat_id")
    return TaxRepresentative(
        name=r.text(node, "cac:PartyName/cbc:Name", "/tax_representative/name"),
        vat_id=vat_id,
        address=address(r, r.node(node, "cac:PostalAddress"), "/tax_representative/address"),
    )


def delivery(r: LocatingReader, node: Node) -> Delivery | None:
    if node is None:
        return None
    location = r.node(node, "cac:DeliveryLocation")
    return Delivery(
        party_name=r.text(node, "cac:DeliveryParty/cac:PartyName/cbc:Name", "/delivery/party_name"),
        location_id=_identifier(r, location, "cbc:ID", "/delivery/location_id"),
        actual_date=r.date(node, "cbc:ActualDeliveryDate", "/delivery/actual_date"),
        address=address(r, r.node(location, "cac:Address"), "/delivery/address"),
    )


def period(r: LocatingReader, node: Node, ptr: str) -> Period | None:
    if node is None or (
        r.node(node, "cbc:StartDate") is None and r.node(node, "cbc:EndDate") is None
    ):
        return None
    return Period(
        start=r.date(node, "cbc:StartDate", f"{ptr}/start"),
        end=r.date(node, "cbc:EndDate", f"{ptr}/end"),
    )


def payment_means(r: LocatingReader, root: etree._Element) -> tuple[PaymentMeans, ...]:
    nodes = r.nodes(root, "cac:PaymentMeans")
    # BT-90 is one creditor id per document; it belongs with the direct debit, if there is one.
    with_mandate = [i for i, n in enumerate(nodes) if r.node(n, "cac:PaymentMandate") is not None]
    creditor_index = with_mandate[0] if with_mandate else 0
    found = []
    for i, node in enumerate(nodes):
        ptr = f"/payment_means/{i}"
        account = r.node(node, "cac:PayeeFinancialAccount")
        card = r.node(node, "cac:CardAccount")
        mandate = r.node(node, "cac:PaymentMandate")
        creditor = (
            sepa_creditor(r, root, f"{ptr}/direct_debit/creditor_id")
            if i == creditor_index
            else None
        )
        direct_debit = None
        if mandate is not None or creditor:
            direct_debit = DirectDebit(
                mandate_reference=r.text(
                    mandate, "cbc:ID", f"{ptr}/direct_debit/mandate_reference"
                ),
                creditor_id=creditor,
                debited_account_id=r.text(
                    mandate,
                    "cac:PayerFinancialAccount/cbc:ID",
                    f"{ptr}/direct_debit/debited_account_id",
                ),
            )
        found.append(
            PaymentMeans(
                type_code=r.text(node, "cbc:PaymentMeansCode", f"{ptr}/type_code"),
                text=r.attr(node, "cbc:PaymentMeansCode", "name", f"{ptr}/text"),
                remittance_information=r.text(
                    node, "cbc:PaymentID", f"{ptr}/remittance_information"
                ),
                account=FinancialAccount(
                    id=r.text(account, "cbc:ID", f"{ptr}/account/id"),
                    name=r.text(account, "cbc:Name", f"{ptr}/account/name"),
                    service_provider_id=r.text(
                        account,
                        "cac:FinancialInstitutionBranch/cbc:ID",
                        f"{ptr}/account/service_provider_id",
                    ),
                )
                if account is not None
                else None,
                card=PaymentCard(
                    primary_account_number=r.text(
                        card, "cbc:PrimaryAccountNumberID", f"{ptr}/card/primary_account_number"
                    ),
                    holder_name=r.text(card, "cbc:HolderName", f"{ptr}/card/holder_name"),
                    network_id=r.text(card, "cbc:NetworkID", f"{ptr}/card/network_id"),
                )
                if card is not None
                else None,
                direct_debit=direct_debit,
            )
        )
        if i > 0:
            r.consume(r.node(node, "cbc:PaymentDueDate"))  # BT-9 is read once, from the first
    return tuple(found)


def allowance_charge(
    r: LocatingReader, node: etree._Element, ptr: str, *, document_level: bool
) -> AllowanceCharge:
    category = r.node(node, "cac:TaxCategory")
    if category is not None:
        r.consume(r.node(category, "cac:TaxScheme/cbc:ID"))
    return AllowanceCharge(
        is_charge=(r.text(node, "cbc:ChargeIndicator", f"{ptr}/is_charge") or "").lower() == "true",
        amount=r.decimal(node, "cbc:Amount", f"{ptr}/amount"),
        base_amount=r.decimal(node, "cbc:BaseAmount", f"{ptr}/base_amount"),
        percentage=r.decimal(node, "cbc:MultiplierFactorNumeric", f"{ptr}/percentage"),
        vat_category=r.text(category, "cbc:ID", f"{ptr}/vat_category") if document_level else None,
        vat_rate=r.decimal(category, "cbc:Percent", f"{ptr}/vat_rate") if document_level else None,
        reason=r.text(node, "cbc:AllowanceChargeReason", f"{ptr}/reason"),
        reason_code=r.text(node, "cbc:AllowanceChargeReasonCode", f"{ptr}/reason_code"),
    )


def document_allowances(r: LocatingReader, root: etree._Element) -> tuple[AllowanceCharge, ...]:
    return tuple(
        allowance_charge(r, node, f"/allowances_charges/{i}", document_level=True)
        for i, node in enumerate(r.nodes(root, "cac:AllowanceCharge"))
    )


def totals(r: LocatingReader, root: etree._Element) -> Totals | None:
    node = r.node(root, "cac:LegalMonetaryTotal")
    currency = (root.findtext(f"{{{r.ns['cbc']}}}DocumentCurrencyCode") or "").strip()
    vat_total = tax_currency_total = None
    for total in r.nodes(root, "cac:TaxTotal"):
        amount = r.node(total, "cbc:TaxAmount")
        if amount is None:
            continue
        if amount.get("currencyID") in (currency, None) and vat_total is None:
            vat_total = r.decimal(amount, "", "/totals/vat_total")
        else:
            tax_currency_total = r.decimal(amount, "", "/totals/vat_total_tax_currency")
    if node is None and vat_total is None:
        return None
    return Totals(
        line_net_total=r.decimal(node, "cbc:LineExtensionAmount", "/totals/line_net_total"),
        allowance_total=r.decimal(node, "cbc:AllowanceTotalAmount", "/totals/allowance_total"),
        charge_total=r.decimal(node, "cbc:ChargeTotalAmount", "/totals/charge_total"),
        tax_exclusive=r.decimal(node, "cbc:TaxExclusiveAmount", "/totals/tax_exclusive"),
        vat_total=vat_total,
        vat_total_tax_currency=tax_currency_total,
        tax_inclusive=r.decimal(node, "cbc:TaxInclusiveAmount", "/totals/tax_inclusive"),
        prepaid=r.decimal(node, "cbc:PrepaidAmount", "/totals/prepaid"),
        rounding=r.decimal(node, "cbc:PayableRoundingAmount", "/totals/rounding"),
        payable=r.decimal(node, "cbc:PayableAmount", "/totals/payable"),
    )


def vat_breakdown(r: LocatingReader, root: etree._Element) -> tuple[VatBreakdown, ...]:
    rows = []
    for i, node in enumerate(r.nodes(root, "cac:TaxTotal/cac:TaxSubtotal")):
        ptr = f"/vat_breakdown/{i}"
        category = r.node(node, "cac:TaxCategory")
        rows.append(
            VatBreakdown(
                taxable_amount=r.decimal(node, "cbc:TaxableAmount", f"{ptr}/taxable_amount"),
                tax_amount=r.decimal(node, "cbc:TaxAmount", f"{ptr}/tax_amount"),
                category=r.text(category, "cbc:ID", f"{ptr}/category"),
                rate=r.decimal(category, "cbc:Percent", f"{ptr}/rate"),
                exemption_reason=r.text(
                    category, "cbc:TaxExemptionReason", f"{ptr}/exemption_reason"
                ),
                exemption_reason_code=r.text(
                    category, "cbc:TaxExemptionReasonCode", f"{ptr}/exemption_reason_code"
                ),
                tax_scheme=r.text(category, "cac:TaxScheme/cbc:ID", f"{ptr}/tax_scheme") or "VAT",
            )
        )
    return tuple(rows)


def lines(r: LocatingReader, root: etree._Element, *, credit: bool) -> tuple[Line, ...]:
    path = "cac:CreditNoteLine" if credit else "cac:InvoiceLine"
    return tuple(
        _line(r, node, f"/lines/{i}", credit=credit) for i, node in enumerate(r.nodes(root, path))
    )


def _line(r: LocatingReader, node: etree._Element, ptr: str, *, credit: bool) -> Line:
    quantity = "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity"
    object_ref = r.node(node, "cac:DocumentReference")
    if object_ref is not None:
        r.consume(r.node(object_ref, "cbc:DocumentTypeCode"))
    return Line(
        id=r.text(node, "cbc:ID", f"{ptr}/id"),
        note=r.text(node, "cbc:Note", f"{ptr}/note"),
        object_id=_identifier(r, object_ref, "cbc:ID", f"{ptr}/object_id"),
        quantity=r.decimal(node, quantity, f"{ptr}/quantity"),
        unit_code=r.attr(node, quantity, "unitCode", f"{ptr}/unit_code"),
        net_amount=r.decimal(node, "cbc:LineExtensionAmount", f"{ptr}/net_amount"),
        order_line_reference=r.text(
            node, "cac:OrderLineReference/cbc:LineID", f"{ptr}/order_line_reference"
        ),
        accounting_reference=r.text(node, "cbc:AccountingCost", f"{ptr}/accounting_reference"),
        period=period(r, r.node(node, "cac:InvoicePeriod"), f"{ptr}/period"),
        allowances_charges=tuple(
            allowance_charge(r, ac, f"{ptr}/allowances_charges/{i}", document_level=False)
            for i, ac in enumerate(r.nodes(node, "cac:AllowanceCharge"))
        ),
        price=_price(r, r.node(node, "cac:Price"), f"{ptr}/price"),
        item=_item(r, r.node(node, "cac:Item"), f"{ptr}/item"),
    )


def _price(r: LocatingReader, node: Node, ptr: str) -> Price | None:
    if node is None:
        return None
    discount = r.node(node, "cac:AllowanceCharge")
    r.consume(r.node(discount, "cbc:ChargeIndicator"))
    return Price(
        net=r.decimal(node, "cbc:PriceAmount", f"{ptr}/net"),
        discount=r.decimal(discount, "cbc:Amount", f"{ptr}/discount"),
        gross=r.decimal(discount, "cbc:BaseAmount", f"{ptr}/gross"),
        base_quantity=r.decimal(node, "cbc:BaseQuantity", f"{ptr}/base_quantity"),
        base_quantity_unit=r.attr(
            node, "cbc:BaseQuantity", "unitCode", f"{ptr}/base_quantity_unit"
        ),
    )


def _item(r: LocatingReader, node: Node, ptr: str) -> Item | None:
    if node is None:
        return None
    tax = r.node(node, "cac:ClassifiedTaxCategory")
    r.consume(r.node(tax, "cac:TaxScheme/cbc:ID"))
    return Item(
        name=r.text(node, "cbc:Name", f"{ptr}/name"),
        description=r.text(node, "cbc:Description", f"{ptr}/description"),
        sellers_id=r.text(node, "cac:SellersItemIdentification/cbc:ID", f"{ptr}/sellers_id"),
        buyers_id=r.text(node, "cac:BuyersItemIdentification/cbc:ID", f"{ptr}/buyers_id"),
        standard_id=_identifier(
            r, node, "cac:StandardItemIdentification/cbc:ID", f"{ptr}/standard_id"
        ),
        classifications=tuple(
            ItemClassification(
                code=r.text(c, "", f"{ptr}/classifications/{i}/code"),
                list_id=r.attr(c, "", "listID", f"{ptr}/classifications/{i}/list_id"),
                list_version=r.attr(
                    c, "", "listVersionID", f"{ptr}/classifications/{i}/list_version"
                ),
            )
            for i, c in enumerate(
                r.nodes(node, "cac:CommodityClassification/cbc:ItemClassificationCode")
            )
        ),
        origin_country=r.text(
            node, "cac:OriginCountry/cbc:IdentificationCode", f"{ptr}/origin_country"
        ),
        attributes=tuple(
            ItemAttribute(
                name=r.text(a, "cbc:Name", f"{ptr}/attributes/{i}/name"),
                value=r.text(a, "cbc:Value", f"{ptr}/attributes/{i}/value"),
            )
            for i, a in enumerate(r.nodes(node, "cac:AdditionalItemProperty"))
        ),
        vat_category=r.text(tax, "cbc:ID", f"{ptr}/vat_category"),
        vat_rate=r.decimal(tax, "cbc:Percent", f"{ptr}/vat_rate"),
    )
