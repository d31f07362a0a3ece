"""Model → Peppol BIS Billing 3.0 UBL (``Invoice-2`` or ``CreditNote-2`` by ``invoice.kind``).

A pure function of the model. Element order is the UBL 2.1 XSD's (the two document types order
their header differently, so each has its own header sequence below); every amount carries the
document currency. Values are written exactly as the model holds them: totals the caller left
out are computed first (``formats.model.complete``), given ones are kept for the rules to judge.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from formats.errors import FormatError
from formats.model import Invoice, complete
from formats.xmlwrite import Element, document

from .ubl_names import CAC, CBC, CREDIT_NOTE, INVOICE, INVOICED_OBJECT_TYPE, PROJECT_TYPE
from .ubl_write_parts import (
    Writer,
    allowance_charge,
    delivery,
    line,
    payee,
    payment_means,
    period,
    seller_or_buyer,
    tax_representative,
    tax_totals,
    totals,
)


def write(invoice: Invoice) -> bytes:
    """The UBL bytes of ``invoice`` (UTF-8, with an XML declaration)."""
    invoice = complete(invoice)
    credit = invoice.is_credit_note
    root_ns = CREDIT_NOTE if credit else INVOICE
    root = Element(
        "CreditNote" if credit else "Invoice",
        f' xmlns="{root_ns}" xmlns:cac="{CAC}" xmlns:cbc="{CBC}"',
    )
    w = Writer(invoice.currency)
    for step in _CREDIT_NOTE_STEPS if credit else _INVOICE_STEPS:
        step(w, root, invoice)
    return document(root)


# --- header steps, in XSD order -------------------------------------------------------------------


def _identity(w: Writer, root: Element, inv: Invoice) -> None:
    if not inv.number:
        raise FormatError("an invoice needs its number (BT-1) to be written", location="/number")
    w.text(root, "CustomizationID", inv.customization_id)
    w.text(root, "ProfileID", inv.profile_id)
    w.text(root, "ID", inv.number)
    w.date(root, "IssueDate", inv.issue_date)


def _due_date(w: Writer, root: Element, inv: Invoice) -> None:
    w.date(root, "DueDate", inv.due_date)


def _type_code(name: str) -> Callable[[Writer, Element, Invoice], None]:
    def step(w: Writer, root: Element, inv: Invoice) -> None:
        w.text(root, name, inv.type_code or ("381" if inv.is_credit_note else "380"))

    return step


def _notes(w: Writer, root: Element, inv: Invoice) -> None:
    for note in inv.notes:
        w.text(root, "Note", note)


def _tax_point(w: Writer, root: Element, inv: Invoice) -> None:
    w.date(root, "TaxPointDate", inv.tax_point_date)


def _currencies(w: Writer, root: Element, inv: Invoice) -> None:
    w.text(root, "DocumentCurrencyCode", inv.currency)
    w.text(root, "TaxCurrencyCode", inv.tax_currency)
    w.text(root, "AccountingCost", inv.buyer_accounting_reference)
    w.text(root, "BuyerReference", inv.buyer_reference)
    if inv.invoice_period or inv.tax_point_date_code:
        period(w, root, inv.invoice_period, description_code=inv.tax_point_date_code)


def _order_and_billing(w: Writer, root: Element, inv: Invoice) -> None:
    if inv.purchase_order_reference or inv.sales_order_reference:
        order = w.agg(root, "OrderReference")
        # BT-13 is mandatory in OrderReference when BT-14 is given: "NA" is BIS 3's placeholder.
        w.text(order, "ID", inv.purchase_order_reference or "NA")
        w.text(order, "SalesOrderID", inv.sales_order_reference)
    for preceding in inv.preceding_invoices:
        ref = w.agg(w.agg(root, "BillingReference"), "InvoiceDocumentReference")
        w.text(ref, "ID", preceding.id)
        w.date(ref, "IssueDate", preceding.issue_date)


def _id_reference(name: str, attr: str) -> Callable[[Writer, Element, Invoice], None]:
    def step(w: Writer, root: Element, inv: Invoice) -> None:
        value = getattr(inv, attr)
        if value:
            w.text(w.agg(root, name), "ID", value)

    return step


def _additional_documents(w: Writer, root: Element, inv: Invoice) -> None:
    if inv.invoiced_object_id:
        ref = w.agg(root, "AdditionalDocumentReference")
        w.text(ref, "ID", inv.invoiced_object_id.value, schemeID=inv.invoiced_object_id.scheme)
        w.text(ref, "DocumentTypeCode", INVOICED_OBJECT_TYPE)
    if inv.is_credit_note and inv.project_reference:
        ref = w.agg(root, "AdditionalDocumentReference")
        w.text(ref, "ID", inv.project_reference)
        w.text(ref, "DocumentTypeCode", PROJECT_TYPE)
    for doc in inv.supporting_documents:
        ref = w.agg(root, "AdditionalDocumentReference")
        w.text(ref, "ID", doc.id)
        w.text(ref, "DocumentDescription", doc.description)
        if doc.attachment is not None or doc.url:
            attachment = w.agg(ref, "Attachment")
            if doc.attachment is not None:
                w.text(
                    attachment,
                    "EmbeddedDocumentBinaryObject",
                    base64.b64encode(doc.attachment.content).decode("ascii"),
                    mimeCode=doc.attachment.mime_code,
                    filename=doc.attachment.filename,
                )
            if doc.url:
                w.text(w.agg(attachment, "ExternalReference"), "URI", doc.url)


def _project(w: Writer, root: Element, inv: Invoice) -> None:
    if inv.project_reference:
        w.text(w.agg(root, "ProjectReference"), "ID", inv.project_reference)


def _parties(w: Writer, root: Element, inv: Invoice) -> None:
    seller_or_buyer(w, w.agg(root, "AccountingSupplierParty"), inv.seller, seller=True, invoice=inv)
    seller_or_buyer(w, w.agg(root, "AccountingCustomerParty"), inv.buyer, seller=False, invoice=inv)
    payee(w, root, inv)
    tax_representative(w, root, inv.tax_representative)
    delivery(w, root, inv.delivery)


def _payment(w: Writer, root: Element, inv: Invoice) -> None:
    for index, means in enumerate(inv.payment_means):
        # A credit note has no DueDate: BIS 3 carries BT-9 in its first payment means.
        due = inv.due_date if inv.is_credit_note and index == 0 else None
        payment_means(w, root, means, due_date=due)
    if inv.payment_terms:
        w.text(w.agg(root, "PaymentTerms"), "Note", inv.payment_terms)


def _allowances(w: Writer, root: Element, inv: Invoice) -> None:
    for ac in inv.allowances_charges:
        allowance_charge(w, root, ac, document_level=True)


def _totals(w: Writer, root: Element, inv: Invoice) -> None:
    tax_totals(w, root, inv)
    totals(w, root, inv)


def _lines(w: Writer, root: Element, inv: Invoice) -> None:
    for item in inv.lines:
        line(w, root, item, credit=inv.is_credit_note)


_Step = Callable[[Writer, Element, Invoice], None]

_INVOICE_STEPS: tuple[_Step, ...] = (
    _identity,
    _due_date,
    _type_code("InvoiceTypeCode"),
    _notes,
    _tax_point,
    _currencies,
    _order_and_billing,
    _id_reference("DespatchDocumentReference", "despatch_advice_reference"),
    _id_reference("ReceiptDocumentReference", "receiving_advice_reference"),
    _id_reference("OriginatorDocumentReference", "tender_reference"),
    _id_reference("ContractDocumentReference", "contract_reference"),
    _additional_documents,
    _project,
    _parties,
    _payment,
    _allowances,
    _totals,
    _lines,
)

_CREDIT_NOTE_STEPS: tuple[_Step, ...] = (
    _identity,
    _tax_point,
    _type_code("CreditNoteTypeCode"),
    _notes,
    _currencies,
    _order_and_billing,
    _id_reference("DespatchDocumentReference", "despatch_advice_reference"),
    _id_reference("ReceiptDocumentReference", "receiving_advice_reference"),
    _id_reference("ContractDocumentReference", "contract_reference"),
    _additional_documents,
    _id_reference("OriginatorDocumentReference", "tender_reference"),
    _parties,
    _payment,
    _allowances,
    _totals,
    _lines,
)
