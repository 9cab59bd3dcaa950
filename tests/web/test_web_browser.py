"""The page in a real headless Chromium (Debian's), against the real server, broker and queue.

Screenshots go to tests/artifacts/web-*.png.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ticketing import service_day
from simulation import plan_toml
import web_fixtures
from support.webprocess import chromium_browser
from web_fixtures import retained_messages, sim_site, simulated_day, start_web

pytestmark = [pytest.mark.broker, pytest.mark.slow]

CHROMIUM = Path(web_fixtures.CHROMIUM)
PHONE = web_fixtures.PHONE

if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (/usr/bin/chromium); `make apt-test`",
                allow_module_level=True)
pytest.importorskip("playwright.sync_api")


browser = pytest.fixture(chromium_browser)


def open_page(browser, url: str):
    page = browser.new_page(**PHONE)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(url)
    page.wait_for_selector(".service")
    return page, errors


def test_my_ticket_is_called_on_the_open_page_within_a_second(browser, queue_service, site_file,
                                                              tmp_path, artifacts):
    for _ in range(3):
        queue_service.take("ktp")
    queue_service.take("skck", kiosk="k2")
    queue_service.press("2", "open")
    web = start_web(site_file, tmp_path)
    try:
        page, errors = open_page(browser, f"{web.base}/t/a2")
        page.wait_for_selector("#ticket[data-status=waiting]")
        assert page.inner_text("#ticket .number") == "A002"
        assert "Urutan" in page.inner_text("#ticket") and "Menunggu giliran" in page.inner_text(
            "#ticket")
        cards = page.locator(".service")
        assert cards.count() == 3
        assert page.locator(".agency h3").all_text_contents() == ["Disdukcapil", "Polres"]
        page.screenshot(path=str(artifacts / "web-ticket-waiting.png"))

        # A call made on MQTT shows on the open page within a second
        sent = time.monotonic()
        queue_service.press("1", "next", wait=False)
        page.wait_for_function(
            "() => document.querySelector('#calls li') && "
            "document.querySelector('#calls li').textContent.includes('A001')", timeout=1000)
        latency = time.monotonic() - sent
        assert latency < 1.0, latency

        sent = time.monotonic()
        queue_service.press("2", "next", wait=False)      # A002, the ticket on the page
        page.wait_for_selector("#ticket[data-status=called]", timeout=2000)
        assert "Silakan menuju Loket 2" in page.inner_text("#ticket")
        assert time.monotonic() - sent < 1.5
        page.screenshot(path=str(artifacts / "web-ticket-called.png"))

        page.click("#lang")
        assert page.inner_text("#ticket .state") == "Please go to Loket 2"
        assert page.get_attribute("html", "lang") == "en"
        page.fill("#search", "skck")
        assert page.locator(".service:visible").count() == 1
        page.fill("#search", "")
        page.screenshot(path=str(artifacts / "web-english.png"))

        queue_service.stop()                               # the site goes offline
        page.wait_for_selector("#banner:not([hidden])", timeout=5000)
        assert "offline" in page.inner_text("#banner")      # in English, as chosen above
        page.screenshot(path=str(artifacts / "web-offline.png"))
        assert errors == []
    finally:
        web.stop()


def test_a_whole_building_renders_grouped_and_searchable(browser, broker, tmp_path, artifacts):
    from support.mqtt import Watcher

    plan, result = simulated_day()
    site_file = tmp_path / "sim.toml"
    site_file.write_text(plan_toml(plan, site="sim", port=broker.port))
    site = sim_site(plan, port=broker.port)
    now = time.time()
    state = result.state_at(plan.at(10.5))
    state.day = service_day(now, site.tz, site.reset_at)    # today, or the page calls it old
    watcher = Watcher(broker.port)
    for topic, payload in retained_messages(site, state, now):
        watcher.publish(topic, payload, retain=True)
    web = start_web(site_file, tmp_path)
    try:
        page, errors = open_page(browser, web.base + "/")
        assert page.locator(".service").count() == len(plan.services)
        assert page.locator(".agency").count() == len(site.agencies)
        assert page.get_attribute("body", "data-stale") == "0"
        page.screenshot(path=str(artifacts / "web-building.png"), full_page=False)
        page.fill("#search", "paspor")
        assert page.locator(".service:visible").count() == 2
        page.fill("#search", "zzz")
        assert page.is_visible("#no-match")
        assert errors == []
    finally:
        web.stop()
        watcher.close()
