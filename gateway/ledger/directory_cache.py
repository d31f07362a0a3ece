"""Directory lookups this process has made, kept while their tenant's directory is unchanged.

Every invoice is routed by its buyer's entry in the tenant's recipient directory, or by the
absence of one. That lookup was a read per request (on PostgreSQL a round trip, about a third
of a millisecond of this process's CPU), for a directory that changes seldom. Each tenant's directory
carries a version, raised in the same transaction as any change to its entries; a lookup read
at one version stays good while the tenant is known to be at that version.

A process learns that another one changed a directory when an acceptance comes back refused:
the acceptance names the version it was routed with, and its statement stores the invoice only
if the tenant is still at that version (``acceptance_postgres``; on SQLite ``acceptance``, in its
writing transaction). The invoice is then routed
again from a fresh lookup, so no invoice is stored with a route from a directory that changed
before it was committed.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class DirectoryLookup:
    """The entry found for a buyer's keys (None: none), and the directory's version it was
    read at (None: not to be checked when the invoice is stored)."""

    entry: Mapping[str, Any] | None
    version: int | None


class DirectoryCache:
    """Lookups by (tenant, keys), each valid while the tenant's known version is the one it was
    read at; the least recently used go first beyond ``capacity``."""

    def __init__(self, capacity: int = 50_000) -> None:
        self._capacity = capacity
        self._versions: dict[str, int] = {}
        self._lookups: OrderedDict[tuple[str, tuple[str, ...]], DirectoryLookup] = OrderedDict()

    def get(self, tenant_id: str, keys: tuple[str, ...]) -> DirectoryLookup | None:
        lookup = self._lookups.get((tenant_id, keys))
        if lookup is None or lookup.version != self._versions.get(tenant_id):
            return None
        self._lookups.move_to_end((tenant_id, keys))
        return lookup

    def put(self, tenant_id: str, keys: tuple[str, ...], lookup: DirectoryLookup) -> None:
        """Keeps ``lookup``, read just now: its version is the tenant's, unless a newer one is
        known already (a read that started earlier and finished later)."""
        if lookup.version is None:
            return
        known = self._versions.get(tenant_id)
        if known is not None and lookup.version < known:
            return
        self._versions[tenant_id] = lookup.version
        self._lookups[(tenant_id, keys)] = lookup
        self._lookups.move_to_end((tenant_id, keys))
        while len(self._lookups) > self._capacity:
            self._lookups.popitem(last=False)

    def advance(self, tenant_id: str, version: int) -> None:
        """The tenant's directory is at ``version`` or later (changed here, or found changed by
        an acceptance): nothing read at an earlier version is used again."""
        if version > self._versions.get(tenant_id, version - 1):
            self._versions[tenant_id] = version
