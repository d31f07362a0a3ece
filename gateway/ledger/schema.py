"""The ledger's tables (SQLAlchemy Core): state rows plus an append-only event log.

Uniqueness that the invariants rely on is enforced here, by the database: one invoice per
(tenant, idempotency key), one document per (invoice, kind), one inbox entry per AS4 MessageId.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in UTC on every backend (SQLite hands back naive ones otherwise)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the ledger; dates carry time zones")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(DateTime(timezone=dialect.name != "sqlite"))


metadata = MetaData()
Id = String(64)
Stamp = UTCDateTime()
# SQLite autoincrements only INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
Serial = BigInteger().with_variant(Integer(), "sqlite")

schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))

tenants = Table(
    "tenants",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("peppol_id", String(140), unique=True),
    Column("settings", JSON, nullable=False, default=dict),
    Column("created_at", Stamp, nullable=False),
    #: raised with every change to the tenant's recipients (see directory_cache.py)
    Column("directory_version", BigInteger, nullable=False, server_default="0"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("prefix", String(16), primary_key=True),
    Column("tenant_id", Id, ForeignKey("tenants.id"), nullable=False),
    Column("key_hash", String(64), nullable=False),
    Column("created_at", Stamp, nullable=False),
    Column("revoked_at", Stamp),
)

recipients = Table(
    "recipients",
    metadata,
    Column("id", Id, primary_key=True),
    Column("tenant_id", Id, ForeignKey("tenants.id"), nullable=False),
    Column("key", String(200), nullable=False),
    Column("name", String(300)),
    Column("peppol_id", String(140)),
    Column("email", String(320)),
    Column("postal", JSON),
    Column("operator", String(100)),
    Column("plan", JSON),
    Column("language", String(8)),
    Column("updated_at", Stamp, nullable=False),
    UniqueConstraint("tenant_id", "key", name="uq_recipient_key"),
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", Id, primary_key=True),
    Column("tenant_id", Id, ForeignKey("tenants.id"), nullable=False),
    Column("number", String(200)),
    Column("kind", String(20), nullable=False),
    Column("seller_name", String(300)),
    Column("buyer_name", String(300)),
    Column("buyer_key", String(200)),
    Column("currency", String(3)),
    Column("payable", String(40)),
    Column("due_date", String(10)),
    Column("idempotency_key", String(200), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("status", String(30), nullable=False),
    Column("plan", JSON, nullable=False),
    Column("recipient", JSON, nullable=False),
    Column("current_channel", String(40)),
    Column("overdue", Integer, nullable=False, default=0),
    Column("handled_at", Stamp),  #: a person marked the failure as handled (cleared by a retry)
    Column("created_at", Stamp, nullable=False),
    Column("updated_at", Stamp, nullable=False),
    UniqueConstraint("tenant_id", "idempotency_key", name="uq_invoice_idempotency"),
)
Index("ix_invoices_tenant_created", invoices.c.tenant_id, invoices.c.created_at)
Index("ix_invoices_tenant_status", invoices.c.tenant_id, invoices.c.status)

blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("content", LargeBinary, nullable=False),
)

documents = Table(
    "documents",
    metadata,
    Column("invoice_id", Id, ForeignKey("invoices.id"), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("sha256", String(64), ForeignKey("blobs.sha256"), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("filename", String(200)),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Id, primary_key=True),
    Column("tenant_id", Id, nullable=False),
    Column("invoice_id", Id, ForeignKey("invoices.id"), nullable=False),
    Column("channel", String(40), nullable=False),
    Column("position", Integer, nullable=False),
    Column("status", String(30), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("message_id", String(200), nullable=False, unique=True),
    Column("next_attempt_at", Stamp),
    Column("first_attempt_at", Stamp),
    Column("lease_owner", String(100)),
    Column("lease_until", Stamp),
    Column("remote_id", String(300)),
    Column("last_error", Text),
    Column("created_at", Stamp, nullable=False),
    Column("updated_at", Stamp, nullable=False),
    #: set when this delivery carries a payment reminder of the invoice, not the invoice itself
    Column("reminder_id", Id),
)
Index("ix_deliveries_due", deliveries.c.status, deliveries.c.next_attempt_at)
Index("ix_deliveries_invoice", deliveries.c.invoice_id)

evidence = Table(
    "evidence",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("tenant_id", Id, nullable=False),
    Column("invoice_id", Id, nullable=False),
    Column("delivery_id", Id, nullable=False),
    Column("kind", String(60), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("sha256", String(64), ForeignKey("blobs.sha256"), nullable=False),
    Column("created_at", Stamp, nullable=False),
)
Index("ix_evidence_invoice", evidence.c.invoice_id)

events = Table(
    "events",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("tenant_id", Id, nullable=False),
    Column("invoice_id", Id),
    Column("delivery_id", Id),
    Column("type", String(60), nullable=False),
    Column("detail", JSON, nullable=False, default=dict),
    Column("at", Stamp, nullable=False),
)
Index("ix_events_tenant", events.c.tenant_id, events.c.id)
Index("ix_events_invoice", events.c.invoice_id, events.c.id)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", Id, primary_key=True),
    Column("tenant_id", Id, ForeignKey("tenants.id"), nullable=False),
    Column("url", Text, nullable=False),
    Column("secret", String(200), nullable=False),
    Column("events", JSON, nullable=False),
    Column("active", Integer, nullable=False, default=1),
    Column("created_at", Stamp, nullable=False),
)

webhook_outbox = Table(
    "webhook_outbox",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("tenant_id", Id, nullable=False),
    Column("endpoint_id", Id, ForeignKey("webhook_endpoints.id"), nullable=False),
    Column(
        "event_id",
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("events.id"),
        nullable=False,
    ),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Stamp, nullable=False),
    Column("lease_until", Stamp),
    Column("delivered_at", Stamp),
    Column("last_error", Text),
)
Index("ix_outbox_due", webhook_outbox.c.delivered_at, webhook_outbox.c.next_attempt_at)

inbox = Table(
    "inbox",
    metadata,
    Column("id", Id, primary_key=True),
    Column("tenant_id", Id, ForeignKey("tenants.id"), nullable=False),
    Column("message_id", String(300), nullable=False, unique=True),
    Column("instance_id", String(300), unique=True),
    Column("sender", String(140)),
    Column("receiver", String(140)),
    Column("document_type", Text),
    Column("sha256", String(64), ForeignKey("blobs.sha256"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("received_at", Stamp, nullable=False),
    Column("acked_at", Stamp),
)

#: Message Level Status owed for received documents: decided (AP/AB/RE) and sent with retries.
mls_out = Table(
    "mls_out",
    metadata,
    Column("id", Id, primary_key=True),
    Column("inbox_id", Id, ForeignKey("inbox.id"), nullable=False, unique=True),
    Column("tenant_id", Id, ForeignKey("tenants.id"), nullable=False),
    Column("mls_to", String(140), nullable=False),
    Column("mls_type", String(20), nullable=False),  #: ALWAYS_SEND or FAILURE_ONLY
    Column("reference", String(300), nullable=False),  #: the received SBDH InstanceIdentifier
    Column("code", String(2)),  #: AP, AB or RE once decided
    Column("description", Text),
    Column("issues", JSON),
    Column("state", String(10), nullable=False),  #: waiting, due, sent, skipped, failed
    Column("message_id", String(300), nullable=False, unique=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Stamp, nullable=False),
    Column("last_error", Text),
    Column("created_at", Stamp, nullable=False),
    Column("sent_at", Stamp),
)
Index("ix_mls_out_due", mls_out.c.state, mls_out.c.next_attempt_at)

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True),
    Column("tenant_id", Id, ForeignKey("tenants.id"), nullable=False),
    Column("username", String(200), nullable=False, unique=True),
    Column("password_hash", String(300), nullable=False),
    Column("role", String(20), nullable=False),  #: "viewer" (read-only) or "operator"
    Column("created_at", Stamp, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("expires_at", Stamp, nullable=False),
)

receivables = Table(
    "receivables",
    metadata,
    Column("invoice_id", Id, ForeignKey("invoices.id"), primary_key=True),
    Column("tenant_id", Id, nullable=False),
    Column("reference", String(40)),
    Column("customer", String(200)),
    Column("customer_type", String(20), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount", String(40), nullable=False),
    Column("open_amount", String(40), nullable=False),
    Column("due_date", String(10)),
    Column(
        "state", String(30), nullable=False
    ),  #: open, partly_paid, paid, credited, in_reminder, handed_to_collection, written_off
    Column("reminders_sent", Integer, nullable=False, default=0),
    Column("compensation_charged", Integer, nullable=False, default=0),
    Column("updated_at", Stamp, nullable=False),
)
Index("ix_receivables_tenant_state", receivables.c.tenant_id, receivables.c.state)

payments = Table(
    "payments",
    metadata,
    Column("id", Id, primary_key=True),
    Column("tenant_id", Id, nullable=False),
    Column("source", String(20), nullable=False),
    Column("external_id", String(100), nullable=False),
    Column("amount", String(40), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reference", String(100)),
    Column("payer", String(200)),
    Column("booked_on", String(10)),
    Column("invoice_id", Id),
    Column("applied", String(40)),
    Column("state", String(20), nullable=False),  #: matched, unmatched, assigned
    Column("imported_at", Stamp, nullable=False),
    UniqueConstraint("tenant_id", "source", "external_id", name="uq_payment_external"),
)

reminders = Table(
    "reminders",
    metadata,
    Column("id", Id, primary_key=True),
    Column("tenant_id", Id, nullable=False),
    Column("invoice_id", Id, ForeignKey("invoices.id"), nullable=False),
    Column("level", Integer, nullable=False),  #: 1 = first reminder of the cadence
    Column("kind", String(20), nullable=False),  #: friendly, reminder, final_notice
    Column("on_date", String(10), nullable=False),  #: the day the cadence made it due
    Column("currency", String(3), nullable=False),
    Column("open_amount", String(40), nullable=False),
    Column("compensation", String(40), nullable=False),  #: förseningsersättning charged now
    Column("fee", String(40), nullable=False),  #: agreed reminder fee
    Column("interest", String(40)),  #: None: no reference rate known for a period (reported)
    Column("total", String(40), nullable=False),
    Column("basis", JSON, nullable=False),  #: interest parts and the rules applied
    Column("plan", JSON, nullable=False),
    Column("delivery_id", Id),
    Column(
        "status", String(30), nullable=False
    ),  #: pending, awaiting_confirmation, delivered, failed, cancelled
    Column("created_at", Stamp, nullable=False),
    Column("updated_at", Stamp, nullable=False),
    # The same reminder level goes out once per item, however often the job runs.
    UniqueConstraint("invoice_id", "level", name="uq_reminder_level"),
)
Index("ix_reminders_tenant", reminders.c.tenant_id, reminders.c.created_at)
