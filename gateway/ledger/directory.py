"""The recipient directory: each tenant's entries under buyer keys (endpoint id, legal id, VAT
id), which route its invoices. Every change raises the tenant's directory version in the same
transaction, which keeps the lookups each process caches honest (see ``directory_cache``)."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import String, and_, any_, bindparam, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncConnection

from . import schema as t
from .direct import Direct, numbered, numbered_binds
from .directory_cache import DirectoryCache, DirectoryLookup
from .group_commit import GroupCommit
from .ids import new_id, now

_INSERT = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}
_ENTRY_FIELDS = ("name", "peppol_id", "email", "postal", "operator", "plan", "language")


class DirectoryLedger:
    """Mixed into ``Ledger`` (which provides ``transaction``, ``read``, ``engine``, the lookup
    coalescer ``_recipient_lookups``, the cache ``_directory`` and ``_sqlite_sync``)."""

    _recipient_lookups: GroupCommit[tuple[str, tuple[str, ...]], DirectoryLookup]
    _directory: DirectoryCache
    _sqlite_sync: Engine | None

    async def put_recipient(
        self, tenant_id: str, key: str, entry: Mapping[str, Any]
    ) -> dict[str, Any]:
        values = {k: entry.get(k) for k in _ENTRY_FIELDS}
        upsert = _INSERT[self.dialect](t.recipients).values(  # type: ignore[attr-defined]
            id=new_id(), tenant_id=tenant_id, key=key, updated_at=now(), **values
        )
        # One statement, so two requests putting the same new key at once both succeed.
        upsert = upsert.on_conflict_do_update(
            index_elements=[t.recipients.c.tenant_id, t.recipients.c.key],
            set_={**values, "updated_at": upsert.excluded.updated_at},
        ).returning(t.recipients.c.id)
        async with self.transaction() as conn:  # type: ignore[attr-defined]
            rid = (await conn.execute(upsert)).scalar_one()
            version = await _next_version(conn, tenant_id)
        self.directory_changed(tenant_id, version)
        return {"id": rid, "key": key, **values}

    async def delete_recipient(self, tenant_id: str, key: str) -> bool:
        async with self.transaction() as conn:  # type: ignore[attr-defined]
            result = await conn.execute(
                t.recipients.delete().where(
                    t.recipients.c.tenant_id == tenant_id, t.recipients.c.key == key
                )
            )
            version = await _next_version(conn, tenant_id) if result.rowcount else None
        if version is not None:
            self.directory_changed(tenant_id, version)
        return result.rowcount > 0

    async def list_recipients(self, tenant_id: str) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:  # type: ignore[attr-defined]
            rows = (
                (
                    await conn.execute(
                        select(t.recipients)
                        .where(t.recipients.c.tenant_id == tenant_id)
                        .order_by(t.recipients.c.key)
                    )
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    async def find_recipient(self, tenant_id: str, keys: Sequence[str]) -> dict[str, Any] | None:
        """The directory entry for the first of ``keys`` that has one."""
        entry = (await self.directory_lookup(tenant_id, keys)).entry
        return dict(entry) if entry is not None else None

    async def directory_lookup(
        self, tenant_id: str, keys: Sequence[str], *, fresh: bool = False
    ) -> DirectoryLookup:
        """The entry for the first of ``keys`` that has one, with the directory version it was
        read at: on PostgreSQL from this process's cache while the version holds, unless
        ``fresh``."""
        if not keys:
            return DirectoryLookup(None, None)
        wanted = (tenant_id, tuple(keys))
        lookup = None if fresh else self._directory.get(*wanted)
        if lookup is None:
            if self._sqlite_sync is not None:  # a read on the event loop: nothing to coalesce
                lookup = await self.read(_recipient, tenant_id, keys)  # type: ignore[attr-defined]
            else:
                lookup = await self._recipient_lookups.submit(wanted)
            self._directory.put(*wanted, lookup)
        return lookup

    def directory_changed(self, tenant_id: str, version: int) -> None:
        """The tenant's directory is at ``version`` or later: lookups read before are not used."""
        self._directory.advance(tenant_id, version)

    async def _find_recipients(
        self, lookups: Sequence[tuple[str, tuple[str, ...]]]
    ) -> list[DirectoryLookup]:
        found, versions = await self.read(_directories_of, lookups)  # type: ignore[attr-defined]
        return [
            DirectoryLookup(_first_entry(found, tenant_id, keys), versions.get(tenant_id))
            for tenant_id, keys in lookups
        ]


async def _next_version(conn: AsyncConnection, tenant_id: str) -> int:
    """Raises the tenant's directory version (in the transaction that changed an entry)."""
    tenants = t.tenants
    result = await conn.execute(
        update(tenants)
        .where(tenants.c.id == tenant_id)
        .values(directory_version=tenants.c.directory_version + 1)
        .returning(tenants.c.directory_version)
    )
    return int(result.scalar_one())


def _recipient(conn: Connection, tenant_id: str, keys: Sequence[str]) -> DirectoryLookup:
    """SQLite: the directory entry for the first of ``keys`` that has one, and the version,
    read in one transaction."""
    version = DIRECTORY_VERSION.rows(conn, {"tenant_id": tenant_id})
    params = {"tenant_id": tenant_id, **numbered("key", keys)}
    rows = _recipients_by_key(len(keys)).rows(conn, params)
    entry = _first_entry({(tenant_id, row["key"]): row for row in rows}, tenant_id, keys)
    return DirectoryLookup(entry, version[0]["directory_version"] if version else None)


#: A tenant's directory version.
DIRECTORY_VERSION = Direct(
    select(t.tenants.c.directory_version).where(t.tenants.c.id == bindparam("tenant_id"))
)


def _first_entry(
    found: Mapping[tuple[str, str], dict[str, Any]], tenant_id: str, keys: Sequence[str]
) -> dict[str, Any] | None:
    """Of the entries found by (tenant, key), the tenant's under the first of ``keys`` that has
    one: the buyer's most specific key wins (endpoint id, then legal id, then VAT id)."""
    return next((found[(tenant_id, k)] for k in keys if (tenant_id, k) in found), None)


def _directories_of(
    conn: Connection, lookups: Sequence[tuple[str, Sequence[str]]]
) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[str, int]]:
    """The directory entries under any of the lookups' keys, by (tenant, key), and each
    tenant's directory version, read together: one statement whatever their number."""
    tenants = sorted({tenant_id for tenant_id, _ in lookups})
    keys = sorted({k for _, ks in lookups for k in ks})
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    versions: dict[str, int] = {}
    for row in _DIRECTORIES_BY_KEYS.rows(conn, {"tenants": tenants, "keys": keys}):
        versions[row["directory_of"]] = row["directory_version"]
        if row["id"] is not None:
            entries[(row["tenant_id"], row["key"])] = {c.name: row[c.name] for c in _RECIPIENT}
    return entries, versions


_RECIPIENT = tuple(t.recipients.c)

# Each tenant asked for, with its entries under any of the keys asked for (a few extra rows at
# most: another tenant's entry under a key asked for, dropped by the (tenant, key) match above).
_DIRECTORIES_BY_KEYS = Direct(
    select(t.tenants.c.id.label("directory_of"), t.tenants.c.directory_version, *_RECIPIENT)
    .select_from(
        t.tenants.outerjoin(
            t.recipients,
            and_(
                t.recipients.c.tenant_id == t.tenants.c.id,
                t.recipients.c.key == any_(bindparam("keys", type_=ARRAY(String))),
            ),
        )
    )
    .where(t.tenants.c.id == any_(bindparam("tenants", type_=ARRAY(String))))
)


@functools.cache
def _recipients_by_key(count: int) -> Direct:
    """One statement per number of keys; an invoice's buyer has one to three."""
    r = t.recipients
    keys = numbered_binds("key", count)
    return Direct(select(r).where(r.c.tenant_id == bindparam("tenant_id"), r.c.key.in_(keys)))
