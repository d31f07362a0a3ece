"""Fixtures of the AS4 interop tests (see ``peers``)."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from gateway.ledger import Ledger
from gateway.settings import Settings, WorkerSettings
from gateway.web.app import create_app
from tests.integration.as4.peers import foreign_pki, kit, peer_receiver

__all__ = ["access_point", "foreign_pki", "kit", "peer_receiver"]


@pytest.fixture
async def access_point(kit, tmp_path):
    """The gateway as access point POP000002, serving participant 0007:5567321707 for tenant 'buyer'."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'g.db'}"
    settings = Settings(
        data_dir=tmp_path,
        database_url=url,
        channels={"peppol": kit.seat("POP000002"), "spool": {"folder": str(tmp_path / "spool")}},
        default_plan=("spool",),
        worker=WorkerSettings(poll_seconds=0.05),
    )
    ledger = await Ledger.open(url)
    _, key = await ledger.create_tenant("buyer", peppol_id="0007:5567321707")
    _, other = await ledger.create_tenant("bystander", peppol_id="0007:5569999999")
    client = TestClient(TestServer(create_app(settings, ledger=ledger), host="127.0.0.1"))
    await client.start_server()
    client.key, client.other_key = key, other
    client.as4_url = str(client.make_url("/as4"))
    yield client
    await client.close()
    await ledger.aclose()
