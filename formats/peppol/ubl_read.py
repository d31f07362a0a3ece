"""Peppol BIS Billing 3.0 UBL (``Invoice-2`` / ``CreditNote-2``) → model.

Lenient by design: whatever is present is read, and the rules decide what is valid. Every value
read records its XPath (``ReadResult.locations``) so a finding on the model points into the
caller's document; elements no model field takes are listed in ``ReadResult.dropped``.
"""

from __future__ import annotations

import base64
import binascii

from lxml import etree

from formats import xmlsafe
from formats.errors import MalformedDocument, UnsupportedDocument
from formats.model import (
    Attachment,
    DocumentKind,
    Identifier,
    Invoice,
    PrecedingInvoice,
    SupportingDocument,
)
from formats.reading import ReadResult
from formats.xmlpaths import LocatingReader

from .ubl_names import CREDIT_NOTE, INVOICE, INVOICED_OBJECT_TYPE, PROJECT_TYPE, XPATH_NS
from .ubl_read_parts import (
    delivery,
    document_allowances,
    lines,
    party,
    payee,
    payment_means,
    period,
    tax_representative,
    totals,
    vat_breakdown,
)

_ROOTS = {
    f"{{{INVOICE}}}Invoice": DocumentKind.INVOICE,
    f"{{{CREDIT_NOTE}}}CreditNote": DocumentKind.CREDIT_NOTE,
}


def read(data: bytes | etree._Element) -> ReadResult:
    root = data if isinstance(data, etree._Element) else xmlsafe.parse(data)
    kind = _ROOTS.get(root.tag)
    if kind is None:
        raise UnsupportedDocument(f"not a UBL Invoice or CreditNote: root element {root.tag}")
    r = LocatingReader(root, XPATH_NS)
    invoice = _invoice(r, root, kind)
    r.consume(r.node(root, "cbc:UBLVersionID"))  # always 2.1 for what we read; no business meaning
    return ReadResult(
        invoice=invoice, syntax="ubl", locations=r.locations, root=root, dropped=r.unread(root)
    )


def _invoice(r: LocatingReader, root: etree._Element, kind: DocumentKind) -> Invoice:
    credit = kind is DocumentKind.CREDIT_NOTE
    period_node = r.node(root, "cac:InvoicePeriod")
    additional = _additional(r, root)
    means = payment_means(r, root)
    due = r.date(root, "cbc:DueDate", "/due_date")
    if due is None and credit:
        due = r.date(root, "cac:PaymentMeans/cbc:PaymentDueDate", "/due_date")
    return Invoice(
        kind=kind,
        customization_id=r.text(root, "cbc:CustomizationID", "/customization_id"),
        profile_id=r.text(root, "cbc:ProfileID", "/profile_id"),
        number=r.text(root, "cbc:ID", "/number"),
        issue_date=r.date(root, "cbc:IssueDate", "/issue_date"),
        type_code=r.text(
            root, "cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode", "/type_code"
        ),
        currency=r.text(root, "cbc:DocumentCurrencyCode", "/currency"),
        tax_currency=r.text(root, "cbc:TaxCurrencyCode", "/tax_currency"),
        tax_point_date=r.date(root, "cbc:TaxPointDate", "/tax_point_date"),
        tax_point_date_code=r.text(period_node, "cbc:DescriptionCode", "/tax_point_date_code"),
        due_date=due,
        buyer_reference=r.text(root, "cbc:BuyerReference", "/buyer_reference"),
        project_reference=r.text(root, "cac:ProjectReference/cbc:ID", "/project_reference")
        or additional.project,
        contract_reference=r.text(
            root, "cac:ContractDocumentReference/cbc:ID", "/contract_reference"
        ),
        purchase_order_reference=r.text(
            root, "cac:OrderReference/cbc:ID", "/purchase_order_reference"
        ),
        sales_order_reference=r.text(
            root, "cac:OrderReference/cbc:SalesOrderID", "/sales_order_reference"
        ),
        receiving_advice_reference=r.text(
            root, "cac:ReceiptDocumentReference/cbc:ID", "/receiving_advice_reference"
        ),
        despatch_advice_reference=r.text(
            root, "cac:DespatchDocumentReference/cbc:ID", "/despatch_advice_reference"
        ),
        tender_reference=r.text(
            root, "cac:OriginatorDocumentReference/cbc:ID", "/tender_reference"
        ),
        invoiced_object_id=additional.object_id,
        buyer_accounting_reference=r.text(
            root, "cbc:AccountingCost", "/buyer_accounting_reference"
        ),
        payment_terms=r.text(root, "cac:PaymentTerms/cbc:Note", "/payment_terms"),
        notes=tuple(
            note
            for i, node in enumerate(r.nodes(root, "cbc:Note"))
            if (note := r.text(node, "", f"/notes/{i}"))
        ),
        preceding_invoices=tuple(
            PrecedingInvoice(
                id=r.text(node, "cbc:ID", f"/preceding_invoices/{i}/id"),
                issue_date=r.date(node, "cbc:IssueDate", f"/preceding_invoices/{i}/issue_date"),
            )
            for i, node in enumerate(
                r.nodes(root, "cac:BillingReference/cac:InvoiceDocumentReference")
            )
        ),
        seller=party(
            r, r.node(root, "cac:AccountingSupplierParty/cac:Party"), "/seller", seller=True
        ),
        buyer=party(
            r, r.node(root, "cac:AccountingCustomerParty/cac:Party"), "/buyer", seller=False
        ),
        payee=payee(r, r.node(root, "cac:PayeeParty")),
        tax_representative=tax_representative(r, r.node(root, "cac:TaxRepresentativeParty")),
        delivery=delivery(r, r.node(root, "cac:Delivery")),
        invoice_period=period(r, period_node, "/invoice_period"),
        payment_means=means,
        allowances_charges=document_allowances(r, root),
        totals=totals(r, root),
        vat_breakdown=vat_breakdown(r, root),
        supporting_documents=additional.supporting,
        lines=lines(r, root, credit=credit),
    )


class _Additional:
    __slots__ = ("object_id", "project", "supporting")

    def __init__(self) -> None:
        self.object_id: Identifier | None = None
        self.project: str | None = None
        self.supporting: tuple[SupportingDocument, ...] = ()


def _additional(r: LocatingReader, root: etree._Element) -> _Additional:
    found = _Additional()
    supporting = []
    for node in r.nodes(root, "cac:AdditionalDocumentReference"):
        code_node = r.node(node, "cbc:DocumentTypeCode")
        code = (code_node.text or "").strip() if code_node is not None else ""
        if code == INVOICED_OBJECT_TYPE:
            r.consume(code_node)
            value = r.text(node, "cbc:ID", "/invoiced_object_id/value")
            if value:
                found.object_id = Identifier(
                    value=value,
                    scheme=r.attr(node, "cbc:ID", "schemeID", "/invoiced_object_id/scheme"),
                )
        elif code == PROJECT_TYPE and root.tag.endswith("CreditNote"):
            r.consume(code_node)
            found.project = r.text(node, "cbc:ID", "/project_reference")
        else:
            supporting.append(_supporting(r, node, f"/supporting_documents/{len(supporting)}"))
    found.supporting = tuple(supporting)
    return found


def _supporting(r: LocatingReader, node: etree._Element, ptr: str) -> SupportingDocument:
    binary = r.node(node, "cac:Attachment/cbc:EmbeddedDocumentBinaryObject")
    attachment = None
    if binary is not None and binary.text and binary.text.strip():
        r.text(binary, "", f"{ptr}/attachment/content")
        try:
            content = base64.b64decode("".join(binary.text.split()), validate=True)
        except (binascii.Error, ValueError):
            raise MalformedDocument(
                "attachment is not valid base64", location=r.locations[f"{ptr}/attachment/content"]
            ) from None
        attachment = Attachment(
            content=content,
            mime_code=r.attr(binary, "", "mimeCode", f"{ptr}/attachment/mime_code"),
            filename=r.attr(binary, "", "filename", f"{ptr}/attachment/filename"),
        )
    return SupportingDocument(
        id=r.text(node, "cbc:ID", f"{ptr}/id"),
        description=r.text(node, "cbc:DocumentDescription", f"{ptr}/description"),
        url=r.text(node, "cac:Attachment/cac:ExternalReference/cbc:URI", f"{ptr}/url"),
        attachment=attachment,
    )
