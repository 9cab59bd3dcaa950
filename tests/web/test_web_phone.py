"""The page on a small phone (360×740) as visitors meet it (issue 16), in Debian's headless
Chromium against the real queue service, broker and web process: axe-core finds nothing serious,
a deaf visitor sees the call without a tap, search knows the words visitors type, a bad number
gets the page's own message, and the slip's key goes on to the survey.

Screenshots: tests/artifacts/phone-*.png (look at them: they are what a visitor sees).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from antrian.config import load, ticket_secret
from support.webprocess import CHROMIUM, chromium_browser, start_web
from ticketing.keys import ticket_key

pytestmark = [pytest.mark.broker, pytest.mark.slow]

if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api")
Axe = pytest.importorskip("axe_playwright_python.sync_playwright").Axe

SMALL_PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
               "is_mobile": True, "has_touch": True}


browser = pytest.fixture(chromium_browser)


def serious(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
            for v in found if v["impact"] in ("serious", "critical")]


def open_phone(browser, url: str):
    page = browser.new_page(**SMALL_PHONE)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector(".service")
    return page, errors


def test_the_page_on_a_small_phone_has_no_serious_accessibility_findings(
        browser, queue_service, site_file, tmp_path, artifacts):
    for _ in range(3):
        queue_service.take("ktp")
    queue_service.press("1", "next")
    web = start_web(site_file, tmp_path)
    try:
        page, errors = open_phone(browser, f"{web.base}/t/A003")
        page.wait_for_selector("#ticket[data-status=waiting]")
        assert serious(page) == []
        page.screenshot(path=str(artifacts / "phone-waiting.png"))
        page.click("#lang")
        assert serious(page) == []
        page.screenshot(path=str(artifacts / "phone-english.png"), full_page=True)
        # the language button's accessible name begins with what it shows (WCAG 2.5.3)
        label = page.get_attribute("#lang", "aria-label")
        assert label.startswith(page.inner_text("#lang"))
        page.goto(f"{web.base}/survey/")
        page.wait_for_selector("#find:not([hidden])")
        assert serious(page) == []
        page.screenshot(path=str(artifacts / "phone-survey-tablet.png"))
        page.goto(f"{web.base}/manage/login")
        page.wait_for_selector("#user")
        assert serious(page) == []
        assert errors == []
    finally:
        web.stop()


def test_a_deaf_visitor_sees_the_call_without_tapping(browser, queue_service, site_file,
                                                      tmp_path, artifacts):
    for _ in range(2):
        queue_service.take("ktp")
    web = start_web(site_file, tmp_path)
    try:
        page, errors = open_phone(browser, f"{web.base}/t/A001")
        page.wait_for_selector("#ticket[data-status=waiting]")
        assert page.is_hidden("#alert")
        queue_service.press("2", "next")                 # A001 to Loket 2; nobody touched the page
        page.wait_for_selector("#alert:not([hidden])", timeout=3000)
        assert "A001" in page.inner_text("#alert") and "Loket 2" in page.inner_text("#alert")
        assert page.get_attribute("#alert", "role") == "alert"
        assert "A001" in page.title()
        page.screenshot(path=str(artifacts / "phone-called.png"))
        assert serious(page) == []
        page.click(".alert-close")
        assert page.is_hidden("#alert") and "A001" not in page.title()
        assert errors == []
    finally:
        web.stop()


def test_search_knows_the_words_visitors_type_and_a_bad_number_gets_our_message(
        browser, queue_service, site_file, tmp_path, artifacts):
    web = start_web(site_file, tmp_path)
    try:
        page, errors = open_phone(browser, web.base + "/")
        names = page.locator(".service .name").all_text_contents()
        ktp = [n for n in names if "KTP" in n.upper()]
        assert ktp, names
        for typed in ("e-ktp", "E-KTP", "ktp-el", "ktp el", "ektp"):
            page.fill("#search", typed)
            visible = page.locator(".service:visible .name").all_text_contents()
            assert visible and all("KTP" in v.upper() for v in visible), (typed, visible)
        page.fill("#search", "")
        # A number that cannot be one: the page's own words, not the browser's bubble
        page.fill("#ticket-input", "??")
        page.click("#ticket-form button")
        page.wait_for_selector("#ticket[data-status=invalid]")
        assert "Nomor tidak valid" in page.inner_text("#ticket")
        assert page.evaluate("document.querySelector('#ticket-input').validity.valid")
        page.screenshot(path=str(artifacts / "phone-invalid.png"))
        assert errors == []
    finally:
        web.stop()


def test_a_served_visitor_from_the_qr_code_reaches_the_survey_with_the_key(
        browser, queue_service, site_file, tmp_path, artifacts):
    ticket = queue_service.take("ktp")
    queue_service.press("1", "next")
    queue_service.press("1", "next")                   # A001 done
    site = load(site_file)
    key = ticket_key(ticket_secret(site), site.site, ticket["day"], ticket["ticket"])
    web = start_web(site_file, tmp_path)
    try:
        page, errors = open_phone(browser, f"{web.base}/t/A001?d={ticket['day']}&k={key}")
        page.wait_for_selector("#ticket[data-status=done]")
        href = page.get_attribute("#ticket a.rate", "href")
        assert f"k={key}" in href
        page.screenshot(path=str(artifacts / "phone-done.png"))
        page.click("#ticket a.rate")
        page.wait_for_selector("#survey:not([hidden])")
        assert serious(page) == []
        page.screenshot(path=str(artifacts / "phone-survey.png"))
        page.go_back()
        page.wait_for_selector("#ticket[data-status=done]")
        # the same ticket typed by hand (no slip): no way to rate it, and it says why
        page.fill("#ticket-input", "A001")
        page.click("#ticket-form button")
        page.wait_for_selector("#ticket[data-status=done]")
        page.wait_for_function("() => !document.querySelector('#ticket a.rate')")
        assert "kode QR" in page.inner_text("#ticket")
        assert errors == []
    finally:
        web.stop()
