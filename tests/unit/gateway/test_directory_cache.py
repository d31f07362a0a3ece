"""The directory cache keeps a lookup only while its tenant's known version is the one it was
read at."""

from __future__ import annotations

from gateway.ledger.directory_cache import DirectoryCache, DirectoryLookup

KEYS = ("0007:1", "se1")


def test_a_lookup_is_kept_until_its_tenant_moves_on():
    cache = DirectoryCache()
    lookup = DirectoryLookup({"email": "a@buyer.example"}, 3)
    cache.put("t", KEYS, lookup)
    assert cache.get("t", KEYS) is lookup
    assert cache.get("t", ("0007:1",)) is None  # other keys, other lookup
    assert cache.get("u", KEYS) is None  # other tenant
    cache.advance("u", 9)
    assert cache.get("t", KEYS) is lookup
    cache.advance("t", 4)
    assert cache.get("t", KEYS) is None


def test_a_read_older_than_the_known_version_is_not_kept():
    cache = DirectoryCache()
    cache.advance("t", 5)
    cache.put("t", KEYS, DirectoryLookup(None, 4))  # started before the change, finished after
    assert cache.get("t", KEYS) is None
    newer = DirectoryLookup(None, 6)
    cache.put("t", KEYS, newer)
    assert cache.get("t", KEYS) is newer
    cache.advance("t", 2)  # older news: nothing changes
    assert cache.get("t", KEYS) is newer


def test_unversioned_lookups_are_not_kept_and_the_least_recent_go_beyond_capacity():
    cache = DirectoryCache(capacity=2)
    cache.put("t", KEYS, DirectoryLookup(None, None))
    assert cache.get("t", KEYS) is None
    for n in range(3):
        cache.put("t", (f"0007:{n}",), DirectoryLookup(None, 1))
        if n == 1:
            assert cache.get("t", ("0007:0",)) is not None  # used: now the most recent
    assert cache.get("t", ("0007:0",)) is not None
    assert cache.get("t", ("0007:1",)) is None
    assert cache.get("t", ("0007:2",)) is not None
