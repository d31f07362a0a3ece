"""The finance dashboard in a real browser (Playwright driving Debian's Chromium).

Sign in, filter, open a failed invoice, send it by another channel and watch it become
delivered; a read-only user sees no actions and cannot post them; keyboard and labels work.
Screenshots go to the test's folder, or to docs/img when FAKTURAPORT_SCREENSHOTS=1.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from formats.jsoncodec import dumps
from gateway.ledger import Ledger
from gateway.settings import Settings, WorkerSettings
from gateway.web.app import create_app
from gateway.web.context import CTX
from tests.svefaktura_samples import invoice

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (.ci/run installs it)"
)
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture
async def dashboard(tmp_path):
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'ui.db'}",
        channels={"peppol_sim": {"type": "memory"}, "spool": {"folder": str(tmp_path / "spool")}},
        default_plan=("peppol_sim",),
        worker=WorkerSettings(poll_seconds=0.05),
    )
    ledger = await Ledger.open(settings.db_url)
    tenant, key = await ledger.create_tenant("Moderna Produkter AB")
    await ledger.create_user(tenant.id, "anna@moderna.example", "correct horse battery", "operator")
    await ledger.create_user(tenant.id, "revisor@moderna.example", "read only please", "viewer")
    app = create_app(settings, ledger=ledger)
    server = TestServer(app)
    await server.start_server()
    channel = app[CTX].channels["peppol_sim"]
    channel.then("deliver", "deliver", "permanent")  # the third invoice is rejected by its receiver
    import aiohttp

    async with aiohttp.ClientSession() as http:
        for number in ("2026-1001", "2026-1002", "2026-1003"):
            body = dumps(invoice(number=number))
            await http.post(
                server.make_url("/v1/invoices"),
                data=body,
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            )
            await asyncio.sleep(0.3)
    yield server, ledger
    await server.close()
    await ledger.aclose()


async def _login(page, base: str, user: str, password: str) -> None:
    await page.goto(f"{base}/ui/")
    await page.get_by_label("Username").fill(user)
    await page.get_by_label("Password").fill(password)
    await page.keyboard.press("Enter")  # keyboard submits the form
    await page.wait_for_url(f"{base}/ui/")


async def test_operator_fixes_a_failed_invoice_and_viewer_cannot(dashboard, tmp_path):
    from playwright.async_api import async_playwright

    server, _ = dashboard
    base = str(server.make_url("")).rstrip("/")
    shots = Path("docs/img") if os.environ.get("FAKTURAPORT_SCREENSHOTS") == "1" else tmp_path
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await _login(page, base, "anna@moderna.example", "correct horse battery")
        await page.get_by_role("heading", name="Overview").wait_for()
        assert "accepted 3 = delivered 2 + failed 1 + in flight 0" in await page.content()
        await page.screenshot(path=str(shots / "ui-overview.png"), full_page=True)

        await page.get_by_role("link", name="Invoices").click()
        await page.get_by_label("State").select_option("failed")
        await page.get_by_role("button", name="Filter").click()
        rows = page.locator("table tbody tr")
        assert await rows.count() == 1
        await page.get_by_role("link", name="2026-1003").click()
        await page.get_by_text("scripted rejection").first.wait_for()
        await page.screenshot(path=str(shots / "ui-invoice-failed.png"), full_page=True)

        await page.get_by_label("Send by another channel").select_option("spool")
        await page.get_by_role("button", name="Send", exact=True).click()
        for _ in range(100):
            await page.reload()
            if "badge s-delivered" in await page.content():
                break
            await asyncio.sleep(0.1)
        assert "invoice.redirected" in await page.content()
        assert await page.locator(".badge.s-delivered").count() >= 1
        await page.screenshot(path=str(shots / "ui-invoice-delivered.png"), full_page=True)

        await page.get_by_role("link", name="Failures").click()
        assert "No failures" in await page.content()

        viewer = await browser.new_page()
        await _login(viewer, base, "revisor@moderna.example", "read only please")
        await viewer.goto(f"{base}/ui/invoices")
        await viewer.get_by_role("link", name="Number").click()  # sort by number, ascending
        numbers = await viewer.locator("table tbody tr td:first-child").all_inner_texts()
        assert numbers == sorted(numbers)
        assert await viewer.locator("th[aria-sort=ascending]").count() == 1
        await viewer.get_by_label("Amount from").fill("1000000")
        await viewer.get_by_role("button", name="Filter").click()
        assert "No invoices match." in await viewer.content()
        await viewer.goto(f"{base}/ui/invoices")
        await viewer.get_by_role("link", name="2026-1001").click()
        assert await viewer.get_by_role("button", name="Send", exact=True).count() == 0
        csrf = await viewer.locator("input[name=csrf]").first.get_attribute("value")
        invoice_path = viewer.url.split(base)[1]
        response = await viewer.request.post(f"{base}{invoice_path}/retry", form={"csrf": csrf})
        assert response.status == 403
        forged = await page.request.post(f"{base}{invoice_path}/retry", form={"csrf": "forged"})
        assert forged.status == 403
        await browser.close()


async def test_wrong_password_is_refused(dashboard):
    from playwright.async_api import async_playwright

    server, _ = dashboard
    base = str(server.make_url("")).rstrip("/")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = await browser.new_page()
        await page.goto(f"{base}/ui/")
        await page.get_by_label("Username").fill("anna@moderna.example")
        await page.get_by_label("Password").fill("guess")
        await page.get_by_role("button", name="Sign in").click()
        assert await page.get_by_role("alert").inner_text() == "Wrong username or password."
        await browser.close()
