"""States of invoices and deliveries, and the events the ledger records."""

from __future__ import annotations

from enum import StrEnum


class InvoiceStatus(StrEnum):
    ACCEPTED = "accepted"  #: stored, first delivery attempt not yet made
    IN_PROGRESS = "in_progress"  #: being delivered: attempts made, retries or fallback pending
    AWAITING_CONFIRMATION = "awaiting_confirmation"  #: handed over; the channel confirms later
    DELIVERED = "delivered"  #: terminal: a channel delivered it, with a receipt
    FAILED = "failed"  #: terminal: every channel in the plan failed; reported

    @property
    def is_terminal(self) -> bool:
        return self in (InvoiceStatus.DELIVERED, InvoiceStatus.FAILED)


class DeliveryStatus(StrEnum):
    PENDING = "pending"  #: due at next_attempt_at (first attempt or a scheduled retry)
    AWAITING_CONFIRMATION = (
        "awaiting_confirmation"  #: receipt pending (print ack, MLS, operator ack)
    )
    DELIVERED = "delivered"  #: terminal success
    FAILED = "failed"  #: terminal failure of this channel (the plan may go on)
    CANCELLED = "cancelled"  #: terminal: withdrawn before sending (a reminder whose item got paid)

    @property
    def is_open(self) -> bool:
        return self in (DeliveryStatus.PENDING, DeliveryStatus.AWAITING_CONFIRMATION)


class EventType(StrEnum):
    ACCEPTED = "invoice.accepted"
    ATTEMPT_FAILED = "delivery.attempt_failed"  #: transient: a retry is scheduled
    FALLBACK = "delivery.fallback"  #: a channel gave up; the next one in the plan takes over
    HANDED_OVER = "delivery.handed_over"  #: receipt pending confirmation
    DELIVERED = "invoice.delivered"
    FAILED = "invoice.failed"
    OVERDUE = "invoice.overdue"
    RETRY_REQUESTED = "invoice.retry_requested"
    REDIRECTED = "invoice.redirected"
    RECEIVED = "invoice.received"
    HANDLED = "invoice.handled"  #: a person marked a failure as handled, with a comment
    MLS_RECEIVED = "invoice.mls_received"  #: the receiving access point's Message Level Status
    MLS_SENT = "inbox.mls_sent"  #: our Message Level Status for a received document went out
    # Receivables: every state change of an open item, and what happened to its reminders.
    PAID = "receivable.paid"  #: nothing is open any more
    PARTLY_PAID = "receivable.partly_paid"  #: a payment left part of the amount open
    REMINDED = "receivable.reminded"  #: a reminder was issued and queued for delivery
    REMINDER_DELIVERED = "receivable.reminder_delivered"  #: its channel handed it over
    REMINDER_FAILED = "receivable.reminder_failed"  #: every channel of the reminder failed
    REMINDER_CANCELLED = "receivable.reminder_cancelled"  #: paid before it went out
    HANDED_TO_COLLECTION = "receivable.handed_to_collection"  #: case file made for an agency
    WRITTEN_OFF = "receivable.written_off"  #: finance gave the open amount up


#: Events an ERP can subscribe to by webhook.
WEBHOOK_EVENTS = frozenset(
    {
        EventType.ACCEPTED,
        EventType.DELIVERED,
        EventType.FAILED,
        EventType.OVERDUE,
        EventType.RECEIVED,
        EventType.MLS_RECEIVED,
        EventType.PAID,
        EventType.PARTLY_PAID,
        EventType.REMINDED,
        EventType.REMINDER_FAILED,
        EventType.HANDED_TO_COLLECTION,
        EventType.WRITTEN_OFF,
    }
)
