"""A visitor books on a phone in Debian's headless Chromium (360×740), keeps the booking page
open, checks in at a keypad kiosk with the code and the NIK's last 4 digits, and the page turns
into their ticket: they tap "Ingatkan saya" for two ahead, the counters call, the page's alert
bar appears, then the call's. Real Mosquitto, `antrian serve`, `antrian web` and
`antrian kiosk --keys`.

Screenshots: tests/artifacts/booking-phone.png (the booking made),
booking-phone-ticket.png (checked in), booking-phone-remind.png (two ahead: the alert).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from booking.booking_kit import Mall
from support.site import ARTIFACTS
from support.waiting import wait_for
from support.webprocess import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.broker, pytest.mark.slow]

if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)", allow_module_level=True)
sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright

NIK = "3275014107850007"
SMALL_PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
               "is_mobile": True, "has_touch": True}


def serious(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    axe = pytest.importorskip("axe_playwright_python.sync_playwright").Axe
    found = axe().run(page).response["violations"]
    return [f"{v['id']}: {v['help']}" for v in found if v["impact"] in ("serious", "critical")]


def ticket_text(page) -> str:
    return page.inner_text("#ticket") if page.is_visible("#ticket") else ""


def test_book_keep_the_page_open_check_in_be_reminded_two_ahead_and_called(tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    with Mall(tmp_path, web=True, kiosk=True) as mall, sync_playwright() as p:
        queue = mall.queue
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(**SMALL_PHONE)
        context.grant_permissions(["notifications"], origin=mall.web.base)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))

        # -- book: the code, its QR and the check-in window --------------------------------
        page.goto(mall.web.base + "/booking")
        page.wait_for_selector("#service option[value=ktp]", state="attached")
        page.select_option("#service", "ktp")
        page.wait_for_selector(f"label[data-session='{mall.session}'] input:not([disabled])")
        assert "sisa 2 dari 2" in page.inner_text("#sessions")
        page.fill("#nik", "3275 0141 0785 0007")
        page.click("#submit")
        page.wait_for_selector("#done:not([hidden])")
        code = page.inner_text("#code").strip()
        assert len(code) == 8 and page.url.endswith(f"/b/{code}")
        wait_for(lambda: page.evaluate("document.getElementById('qr').naturalWidth") > 0, 5,
                 what="the QR code shown")
        assert "Lapor di kiosk pukul" in page.inner_text("#when")
        page.wait_for_selector("#status[data-status=booked]")
        assert "Terpesan" in page.inner_text("#status")
        page.screenshot(path=str(ARTIFACTS / "booking-phone.png"), full_page=True)
        assert serious(page) == []

        # -- five walk-ins before the session starts: ahead of the booked visitor ----------
        assert [queue.take("ktp")["ticket"] for _ in range(5)][-1] == "A005"

        # -- check in at the kiosk; the open page turns into the ticket ---------------------
        mall.kiosk_online()
        mall.type_at_kiosk("b" + code + NIK[-4:])
        mall.printed("A006")
        page.wait_for_selector("#ticket[data-status=waiting]", timeout=15000)
        assert page.inner_text("#ticket .number") == "A006"
        assert "5 orang di depan Anda" in ticket_text(page)
        assert page.is_hidden("#pass") and page.is_hidden("#cancel")
        assert "Sudah lapor di kiosk" in page.inner_text("#status")
        page.screenshot(path=str(ARTIFACTS / "booking-phone-ticket.png"), full_page=True)

        # -- Ingatkan saya: when two are ahead ------------------------------------------------
        page.click(".remind-open")
        page.select_option(".remind-form select >> nth=0", "2")
        page.select_option(".remind-form select >> nth=1", "0")
        page.click(".remind-go")
        page.wait_for_selector(".remind-on")
        assert "2 orang atau kurang" in page.inner_text(".remind-on")
        assert serious(page) == []

        assert queue.press("1", "next")["ticket"] == "A001"
        assert queue.press("2", "next")["ticket"] == "A002"
        wait_for(lambda: "3 orang di depan Anda" in ticket_text(page), 10,
                 what="the page shows three ahead")
        assert page.is_hidden("#remind-alert")          # three ahead: not yet
        assert queue.press("1", "next")["ticket"] == "A003"
        page.wait_for_selector("#remind-alert:not([hidden])", timeout=10000)
        text = page.inner_text("#remind-alert")
        assert "A006" in text and "2 orang lagi di depan Anda" in text
        assert page.get_attribute("#remind-alert", "role") == "alert"
        page.screenshot(path=str(ARTIFACTS / "booking-phone-remind.png"))   # what the phone shows

        # -- called: the call's own green bar takes over ------------------------------------
        for counter, ticket in (("2", "A004"), ("1", "A005"), ("2", "A006")):
            assert queue.press(counter, "next")["ticket"] == ticket
        page.wait_for_selector("#alert:not([hidden])", timeout=10000)
        assert "Nomor A006 dipanggil! Silakan menuju Loket 2." in page.inner_text("#alert")
        assert page.is_hidden("#remind-alert")
        assert page.get_attribute("#ticket", "data-status") == "called"
        page.click("#lang")                              # the same page in English
        assert "Please go to Loket 2" in ticket_text(page)
        assert page.inner_text("#status").startswith("Checked in at the kiosk")
        assert errors == []
        browser.close()
    assert mall.files_holding(NIK.encode()) == []


def test_a_booking_cancelled_on_the_page_says_so_and_an_unknown_code_is_not_found(tmp_path):
    with Mall(tmp_path, web=True) as mall, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(**SMALL_PHONE).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        status, _, body = mall.web.post("/api/v1/bookings", {
            "service": "ktp", "day": mall.today, "session": mall.session, "nik": NIK})
        assert status == 201
        code = json.loads(body)["code"]

        page.goto(f"{mall.web.base}/b/{code}?lang=en")     # another phone: nothing stored
        page.wait_for_selector("#status[data-status=booked]")
        assert page.inner_text("#status").startswith("Booked.")
        assert "Check in at the kiosk" in page.inner_text("#when")
        page.fill("#last4", NIK[-4:])
        page.click("#cancel button")
        page.wait_for_selector("#status[data-status=cancelled]")
        assert page.inner_text("#status") == "This booking was cancelled."
        assert page.is_hidden("#pass") and page.is_hidden("#cancel")

        page.goto(f"{mall.web.base}/b/ZZZZZZZZ")
        page.wait_for_selector("#status[data-status=unknown]")
        assert page.inner_text("#status").startswith("Pemesanan tidak ditemukan")
        assert serious(page) == []
        assert errors == []
        browser.close()
