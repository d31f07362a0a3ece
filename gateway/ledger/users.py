"""Finance users, their sessions, and what the dashboard reads (counts, series, failure queue)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, time, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, insert, or_, select, update

from . import schema as t
from .states import EventType, InvoiceStatus

ROLES = ("viewer", "operator")
SESSION_HOURS = 12
_hasher = PasswordHasher()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class UserLedger:
    """Mixed into ``Ledger``."""

    async def create_user(self, tenant_id: str, username: str, password: str, role: str) -> str:
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        if len(password) < 10:
            raise ValueError("a password needs at least 10 characters")
        user_id = secrets.token_hex(16)
        async with self.transaction() as conn:
            await conn.execute(
                insert(t.users).values(
                    id=user_id,
                    tenant_id=tenant_id,
                    username=username.strip().lower(),
                    password_hash=_hasher.hash(password),
                    role=role,
                    created_at=datetime.now(UTC),
                )
            )
        return user_id

    async def login(self, username: str, password: str) -> tuple[str, str] | None:
        """(session token, csrf token) for valid credentials, None otherwise."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(t.users).where(t.users.c.username == username.strip().lower())
                )
            ).first()
        if row is None:
            _hasher.hash(password)  # same work for unknown users: no timing oracle on usernames
            return None
        try:
            _hasher.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        async with self.transaction() as conn:
            await conn.execute(
                insert(t.sessions).values(
                    token_hash=_digest(token),
                    user_id=row.id,
                    csrf=csrf,
                    expires_at=datetime.now(UTC) + timedelta(hours=SESSION_HOURS),
                )
            )
        return token, csrf

    async def session(self, token: str) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        t.sessions.c.csrf,
                        t.users.c.id,
                        t.users.c.username,
                        t.users.c.role,
                        t.users.c.tenant_id,
                        t.tenants.c.name,
                    )
                    .join(t.users, t.users.c.id == t.sessions.c.user_id)
                    .join(t.tenants, t.tenants.c.id == t.users.c.tenant_id)
                    .where(
                        t.sessions.c.token_hash == _digest(token),
                        t.sessions.c.expires_at > datetime.now(UTC),
                    )
                )
            ).first()
        if row is None:
            return None
        return {
            "csrf": row.csrf,
            "user_id": row.id,
            "username": row.username,
            "role": row.role,
            "tenant_id": row.tenant_id,
            "tenant": row.name,
        }

    async def logout(self, token: str) -> None:
        async with self.transaction() as conn:
            await conn.execute(delete(t.sessions).where(t.sessions.c.token_hash == _digest(token)))

    async def mark_handled(self, tenant_id: str, invoice_id: str, who: str, comment: str) -> bool:
        async with self.transaction() as conn:
            result = await conn.execute(
                update(t.invoices)
                .where(t.invoices.c.id == invoice_id, t.invoices.c.tenant_id == tenant_id)
                .values(handled_at=datetime.now(UTC))
            )
            if result.rowcount != 1:
                return False
            await self.record_event(
                conn, tenant_id, invoice_id, EventType.HANDLED, {"by": who, "comment": comment}
            )
        return True

    async def failure_queue(self, tenant_id: str, limit: int = 200) -> list[dict[str, Any]]:
        i = t.invoices
        async with self.engine.connect() as conn:
            rows = (
                (
                    await conn.execute(
                        select(i)
                        .where(
                            i.c.tenant_id == tenant_id,
                            i.c.handled_at.is_(None),
                            or_(i.c.status == InvoiceStatus.FAILED, i.c.overdue == 1),
                        )
                        .order_by(i.c.updated_at.desc())
                        .limit(limit)
                    )
                )
                .mappings()
                .all()
            )
            reasons = {}
            if rows:
                d = t.deliveries
                for r in (
                    await conn.execute(
                        select(d.c.invoice_id, d.c.last_error, d.c.channel, d.c.updated_at)
                        .where(
                            d.c.invoice_id.in_([r["id"] for r in rows]),
                            d.c.last_error.is_not(None),
                            d.c.reminder_id.is_(None),
                        )
                        .order_by(d.c.updated_at)
                    )
                ).all():
                    reasons[r.invoice_id] = (r.channel, r.last_error)
        return [{**dict(r), "reason": reasons.get(r["id"])} for r in rows]

    async def dashboard_counts(self, tenant_id: str, since: datetime) -> dict[str, Any]:
        i = t.invoices
        async with self.engine.connect() as conn:
            by_status = dict(
                (
                    await conn.execute(
                        select(i.c.status, func.count())
                        .where(i.c.tenant_id == tenant_id, i.c.created_at >= since)
                        .group_by(i.c.status)
                    )
                ).all()
            )
            by_channel = dict(
                (
                    await conn.execute(
                        select(i.c.current_channel, func.count())
                        .where(
                            i.c.tenant_id == tenant_id,
                            i.c.created_at >= since,
                            i.c.status == InvoiceStatus.DELIVERED,
                        )
                        .group_by(i.c.current_channel)
                    )
                ).all()
            )
        return {"by_status": by_status, "by_channel": by_channel, "total": sum(by_status.values())}

    async def daily_series(self, tenant_id: str, days: int = 14) -> list[dict[str, Any]]:
        """Delivered and failed per day and channel (terminal events in the event log)."""
        start = datetime.combine(
            datetime.now(UTC).date() - timedelta(days=days - 1), time(), tzinfo=UTC
        )
        e = t.events
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(e.c.type, e.c.at, e.c.detail).where(
                        e.c.tenant_id == tenant_id,
                        e.c.at >= start,
                        e.c.type.in_([str(EventType.DELIVERED), str(EventType.FAILED)]),
                    )
                )
            ).all()
        series = {
            (start + timedelta(days=n)).date(): {"delivered": {}, "failed": {}} for n in range(days)
        }
        for row in rows:
            bucket = series.get(row.at.date())
            if bucket is None:
                continue
            kind = "delivered" if row.type == str(EventType.DELIVERED) else "failed"
            channel = (row.detail or {}).get("channel") or "?"
            bucket[kind][channel] = bucket[kind].get(channel, 0) + 1
        return [{"day": day, **counts} for day, counts in sorted(series.items())]
