"""'Ingatkan saya' in Debian's headless Chromium on a phone (390×844), against the real queue
service, broker and web process: the visitor asks to be told when two are ahead, and when the
queue moves the page shows the banner and a notification (permission granted through the
browser context), with no tap in between.

Screenshots: tests/artifacts/alerts-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.webprocess import CHROMIUM, PHONE, chromium_browser, start_web

pytestmark = [pytest.mark.broker, pytest.mark.slow]

if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api")
Axe = pytest.importorskip("axe_playwright_python.sync_playwright").Axe

# Every notification the page shows, by either road (the constructor, or the service worker),
# every beep it starts and every vibration it asks for.
SPY = """
window.__notes = [];
(function () {
  var Real = window.Notification;
  if (Real) {
    var Spy = function (title, opts) { window.__notes.push({title: title, body: (opts || {}).body}); return new Real(title, opts); };
    Object.defineProperty(Spy, "permission", { get: function () { return Real.permission; } });
    Spy.requestPermission = Real.requestPermission.bind(Real);
    window.Notification = Spy;
  }
  window.__beeps = 0; window.__vibrations = [];
  var start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function () { window.__beeps++; return start.apply(this, arguments); };
  navigator.vibrate = function (p) { window.__vibrations.push(p); return true; };
  if (window.ServiceWorkerRegistration) {
    var show = ServiceWorkerRegistration.prototype.showNotification;
    ServiceWorkerRegistration.prototype.showNotification = function (title, opts) {
      window.__notes.push({title: title, body: (opts || {}).body});
      return show.call(this, title, opts);
    };
  }
})();
"""


def serious(page) -> list[str]:
    return [v["id"] for v in Axe().run(page).response["violations"]
            if v["impact"] in ("serious", "critical")]


browser = pytest.fixture(chromium_browser)


def test_the_page_alerts_when_two_are_ahead(browser, queue_service, site_file, tmp_path,
                                            artifacts):
    slips = [queue_service.take("ktp") for _ in range(4)]
    mine = slips[3]
    web = start_web(site_file, tmp_path)
    try:
        context = browser.new_context(**PHONE)
        context.grant_permissions(["notifications"], origin=web.base)
        context.add_init_script(SPY)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{web.base}/t/{mine['ticket']}?d={mine['day']}&k={mine['key']}")
        page.wait_for_selector("#ticket[data-status=waiting]")
        assert "3 orang di depan Anda" in page.inner_text("#ticket")
        page.click(".remind-open")
        page.select_option(".remind-form select >> nth=0", "2")
        page.select_option(".remind-form select >> nth=1", "0")
        page.screenshot(path=str(artifacts / "alerts-form.png"))
        assert serious(page) == []
        page.click(".remind-go")
        page.wait_for_selector(".remind-on")
        assert "2 orang atau kurang" in page.inner_text(".remind-on")
        assert page.is_hidden("#remind-alert")
        assert page.evaluate("Notification.permission") == "granted"

        queue_service.press("1", "next")            # A001 called: A004 has two ahead
        page.wait_for_selector("#remind-alert:not([hidden])", timeout=5000)
        text = page.inner_text("#remind-alert")
        assert "A004" in text and "2 orang lagi di depan Anda" in text
        assert page.get_attribute("#remind-alert", "role") == "alert"
        page.wait_for_function("() => window.__notes.length > 0", timeout=5000)
        notes = page.evaluate("window.__notes")
        assert notes[0]["title"] == "Giliran Anda hampir tiba" and "A004" in notes[0]["body"]
        # the sound (three beeps, unlocked by the tap on "Aktifkan") and the vibration
        assert page.evaluate("window.__beeps") == 3
        assert page.evaluate("window.__vibrations") == [[400, 200, 400, 200, 400]]
        page.screenshot(path=str(artifacts / "alerts-near.png"))
        assert serious(page) == []

        # told once: the next move (one ahead) rebuilds the card but gives no second alert
        page.click("#remind-alert .alert-close")
        queue_service.press("2", "next")
        page.wait_for_function("() => document.querySelector('#ticket').innerText.includes('1 orang')")
        assert page.is_hidden("#remind-alert") and len(page.evaluate("window.__notes")) == 1
        assert errors == []
        context.close()
    finally:
        web.stop()
