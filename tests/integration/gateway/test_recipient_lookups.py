"""Directory lookups on both backends; on PostgreSQL those of concurrent requests share one
statement, and still answer each request for its own tenant and keys."""

from __future__ import annotations

import asyncio


async def test_concurrent_lookups_each_get_their_own_tenants_entry(ledger):
    one, _ = await ledger.create_tenant("one")
    two, _ = await ledger.create_tenant("two")
    await ledger.put_recipient(one.id, "0007:1", {"email": "one@buyer.example"})
    await ledger.put_recipient(two.id, "0007:1", {"email": "two@buyer.example"})
    await ledger.put_recipient(two.id, "se5560000001", {"email": "vat@buyer.example"})
    lookups = [
        (one.id, ["0007:1"]),
        (two.id, ["0007:1", "se5560000001"]),  # the first key that has an entry wins
        (two.id, ["0007:9", "se5560000001"]),
        (one.id, ["se5560000001"]),  # another tenant's key: nothing
        (one.id, []),
    ] * 20
    found = await asyncio.gather(*(ledger.find_recipient(t, keys) for t, keys in lookups))
    expected = ["one@buyer.example", "two@buyer.example", "vat@buyer.example", None, None]
    assert [entry["email"] if entry else None for entry in found] == expected * 20
