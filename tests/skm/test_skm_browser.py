"""The survey on a phone, in Debian's headless Chromium, against the real queue service, broker
and web process: a served visitor opens their ticket, taps "Nilai layanan kami", answers the nine
questions and sends them. Screenshots: tests/artifacts/skm-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest

from antrian.config import ticket_secret
from support.queue import QueueProcess
from ticketing.keys import ticket_key
from skm_fixtures import site_text
from web import accounts as acc
from web.survey import SurveyStore
from support import webprocess as web_fixtures
from support.webprocess import start_web

pytestmark = [pytest.mark.broker, pytest.mark.slow]

CHROMIUM = Path(web_fixtures.CHROMIUM)
ARGS, PHONE = web_fixtures.CHROMIUM_ARGS, web_fixtures.PHONE

if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)", allow_module_level=True)
sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright

ANSWERS = [4, 3, 4, 4, 3, 4, 4, 3, 2]


def test_a_served_visitor_rates_the_service_from_their_phone(broker, tmp_path, artifacts):
    site_file = tmp_path / "site.toml"
    # SKCK's quota of one: its status shows "Kuota habis" at any hour the test runs
    site_file.write_text(site_text(broker.port).replace('id = "skck"\n',
                                                        'id = "skck"\nquota = 1\n', 1))
    queue = QueueProcess(site_file, tmp_path / "queue.db", broker).start()
    web = None
    try:
        queue.take("ktp")
        queue.take("ktp")
        queue.take("skck", kiosk="k2")
        refused = queue.take("skck", kiosk="k2")
        assert refused["code"] == "closed"
        queue.press("1", "next")
        queue.press("1", "next")              # A001 done, A002 at counter 1
        day = queue.service_state("ktp")["day"]

        def slip(ticket: str) -> str:
            return ticket_key(ticket_secret(queue.site), queue.site.site, day, ticket)
        acc.write(tmp_path / "managers.toml", None, {"dukcapil": acc.Account(
            "dukcapil", "agency", acc.hash_password("rahasia-dukcapil"), "Disdukcapil")})
        web = start_web(site_file, tmp_path, ["--db", str(tmp_path / "queue.db")])
        web.wait(lambda d: any(s["id"] == "skck" and s["status"] and s["status"]["code"] == "quota"
                               for s in d["services"]), what="skck's quota status")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page(**PHONE)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))

            page.goto(f"{web.base}/t/A001?d={day}&k={slip('A001')}")     # the slip's QR code
            page.wait_for_selector("#ticket[data-status=done]")
            # the services show their status and their standard
            skck = page.locator(".service[data-id=skck]")
            assert skck.locator(".badge").inner_text() == "Tutup"
            assert skck.locator(".closed").inner_text() == "Kuota habis (1 nomor)"
            ktp = page.locator(".service[data-id=ktp]")
            assert "Gratis" in ktp.locator(".standard summary").inner_text()
            ktp.locator(".standard summary").click()
            assert "KTP-el asli" in ktp.locator(".standard").inner_text()
            page.screenshot(path=str(artifacts / "skm-ticket-done.png"), full_page=True)

            page.click("#ticket a.rate")
            page.wait_for_url(f"**/survey/A001?d={day}&k={slip('A001')}")
            page.wait_for_selector("#survey:not([hidden])")
            assert page.locator("fieldset.q").count() == 9
            assert "Nomor A001" in page.inner_text("#for-ticket")
            # sending with a question left out points at it
            for i, a in enumerate(ANSWERS[:-1]):
                page.click(f"label[for=q{i + 1}-{a}]")
            page.click("#send")
            assert page.locator("fieldset.q.missing").count() == 1
            page.click(f"label[for=q9-{ANSWERS[-1]}]")
            assert page.is_hidden("#note")             # all answered: the reminder goes
            page.screenshot(path=str(artifacts / "skm-survey-phone.png"), full_page=True)
            page.click("#send")
            page.wait_for_selector("body[data-sent='1']")
            assert "Terima kasih" in page.inner_text("#note")
            page.screenshot(path=str(artifacts / "skm-survey-thanks.png"))

            # the ticket still at the counter cannot be rated yet
            page.goto(f"{web.base}/survey/A002?d={day}&k={slip('A002')}&lang=en")
            page.wait_for_selector("#note:not([hidden])")
            page.wait_for_function("() => !document.querySelector('#note').textContent"
                                   ".includes('Loading')")
            assert "being served" in page.inner_text("#note")
            assert page.is_hidden("#survey")

            # Disdukcapil's manager logs in and finds the answer and the standard's figures
            desk = browser.new_page(viewport={"width": 1100, "height": 900})
            desk.on("pageerror", lambda e: errors.append(str(e)))
            desk.goto(f"{web.base}/manage/")
            desk.wait_for_url("**/manage/login")
            desk.fill("#user", "dukcapil")
            desk.fill("#password", "salah")
            desk.click("button[type=submit]")
            desk.wait_for_selector("#error:not([hidden])")
            desk.fill("#user", "dukcapil")
            desk.fill("#password", "rahasia-dukcapil")
            desk.click("button[type=submit]")
            desk.wait_for_url("**/manage/")
            desk.wait_for_function("() => document.querySelector('#skm-summary').textContent"
                                   ".includes('Responden: 1')")
            desk.wait_for_selector("#std td")
            assert "Instansi: Disdukcapil" in desk.inner_text("#scope")
            assert "Perekaman KTP-el" in desk.inner_text("#std")
            assert "Polres" not in desk.inner_text("main")
            desk.screenshot(path=str(artifacts / "skm-manage.png"), full_page=True)
            assert errors == []
            browser.close()
    finally:
        if web:
            web.stop()
        queue.close()
    store = SurveyStore(tmp_path / "survey.db", readonly=True)
    assert store.totals(day, day) == (1, ANSWERS)
    store.close()
