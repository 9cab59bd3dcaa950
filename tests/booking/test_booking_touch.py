"""Check-in by typing the booking code on a touch kiosk's screen (hardware.touch_checkin): the flow
and its layout alone, then real pygame rendering on SDL's dummy driver, then a touch kiosk
in-process against `antrian serve` and a real Mosquitto, driven by synthetic taps."""

from __future__ import annotations

from datetime import datetime, timedelta
import threading
import time

import pytest

from antrian import config as site_config
from booking.booking_kit import Mall, site_text, touch_kiosk
from hardware.config import DEFAULT_DPI, kiosk_config
from hardware.touch import COLOURS, TouchScreen, group_by_agency, layout
from hardware.touch_checkin import (BUSY_TEXT, CODE, DONE, ERROR, NIK, SENDING, WAITING,
                                    CheckinFlow, CheckinView, Key, checkin_layout, field_text,
                                    keyboard_rows, target_px)
from support.site import ROOT
from support.touch import centre
from support.waiting import wait_for
from ticketing.booking import CODE_ALPHABET

SIZES = [(1920, 1080), (1080, 1920), (1280, 800), (800, 1280), (1024, 600), (600, 1024),
         (800, 480), (480, 800)]


def key(kind: str, char: str | None = None) -> Key:
    return Key((0, 0, 1, 1), kind, kind, char)


def type_in(flow: CheckinFlow, text: str, t: float = 0.0) -> None:
    for ch in text:
        flow.press(key("char", ch), t)


# -- the flow, pure --------------------------------------------------------------------------------

def test_the_keyboard_has_exactly_the_characters_a_booking_code_can_hold():
    typed = "".join(keyboard_rows())
    assert sorted(typed) == sorted(CODE_ALPHABET) and len(typed) == len(set(typed))
    assert not set(typed) & set("01OI")          # nothing a visitor could misread


def test_a_code_then_four_digits_then_kirim_sends_once_and_forgets_the_digits():
    flow = CheckinFlow()
    flow.open(0)
    type_in(flow, "ABCO")                           # O is no code character: ignored
    assert flow.view() == CheckinView(CODE, "ABC")
    type_in(flow, "D2345")
    assert flow.state == NIK and flow.code == "ABCD2345"
    assert flow.press(key("kirim"), 1) is None      # not before the 4 digits
    type_in(flow, "00071")                          # a fifth digit does not fit
    assert flow.view().typed == 4
    assert field_text(flow.view()) == ("Ketik 4 angka terakhir NIK, lalu Kirim",
                                       "ABCD-2345   NIK \u2022\u2022\u2022\u2022")
    assert flow.press(key("kirim"), 2) == ("ABCD2345", "0007")
    assert flow.press(key("kirim"), 2) is None      # a double tap sends nothing more
    assert flow.state == SENDING and flow.nik == ""


def test_hapus_goes_back_from_the_digits_into_the_code_and_batal_goes_home():
    flow = CheckinFlow()
    flow.open(0)
    type_in(flow, "ABCD23457")
    flow.press(key("hapus"), 1)
    flow.press(key("hapus"), 1)                     # no digit left: the code's last character
    assert flow.view() == CheckinView(CODE, "ABCD234")
    assert field_text(flow.view())[1] == "ABCD-234_"
    flow.press(key("batal"), 2)
    assert not flow.active and flow.code == ""


def test_only_the_answer_awaited_is_shown_and_a_busy_kiosk_says_so():
    flow = CheckinFlow()
    flow.open(0)
    assert flow.answer("refused", "kertas habis", 1) is False    # nothing was sent yet
    type_in(flow, "ABCD23450007")
    flow.press(key("kirim"), 1)
    flow.begin("ABCD2345", 1)
    assert flow.answer("info", "Memeriksa kode pemesanan...", 1) is False
    flow.sent("take-1")
    assert flow.state == WAITING
    assert flow.answer("refused", "Maaf, ...: Kode pemesanan tidak dikenal", 2)
    assert flow.view().state == ERROR
    flow.press(key("ulangi"), 3)                    # back to the digits, the code kept
    assert flow.view() == CheckinView(NIK, "ABCD2345")
    flow.begin("WXYZ6789", 4)
    flow.sent(None)                                 # the kiosk was busy and sent nothing
    assert flow.view() == CheckinView(ERROR, "WXYZ6789", 0, BUSY_TEXT)


def test_a_screen_left_alone_expires():
    flow = CheckinFlow(idle_s=30)
    flow.open(0)
    type_in(flow, "AB", t=10)
    assert not flow.expired(40) and flow.expired(40.5)


# -- the layout, pure ------------------------------------------------------------------------------

def overlaps(a, b):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


@pytest.mark.parametrize("size", SIZES)
def test_every_key_is_a_finger_target_inside_the_screen_and_apart(size):
    w, h = size
    views = [CheckinView(CODE), CheckinView(NIK, "ABCD2345", 4), CheckinView(DONE, "ABCD2345"),
             CheckinView(ERROR, "ABCD2345"), CheckinView(WAITING, "ABCD2345")]
    smallest = target_px(DEFAULT_DPI)
    assert smallest == 57                           # 9 mm at 160 DPI
    for view in views:
        lay = checkin_layout(view, size)
        rects = [k.rect for k in lay.keys] + [lay.header, lay.field] + \
            ([lay.message] if lay.message else [])
        for i, a in enumerate(rects):
            x, y, rw, rh = a
            assert 0 <= x and x + rw <= w and 0 <= y and y + rh <= h, (view.state, a)
            assert all(not overlaps(a, b) for b in rects[i + 1:]), (view.state, a)
        for k in lay.keys:
            assert min(k.rect[2:]) >= smallest, (size, view.state, k)
            if h >= 600:                            # touch.py's buttons: 80 px tall
                assert k.rect[3] >= 80, (size, view.state, k)
    code_keys = [k.char for k in checkin_layout(CheckinView(CODE), size).keys if k.char]
    assert sorted(code_keys) == sorted(CODE_ALPHABET)
    nik_keys = [k.char for k in checkin_layout(CheckinView(NIK, "ABCD2345"), size).keys if k.char]
    assert sorted(nik_keys) == list("0123456789")


@pytest.mark.parametrize("size", SIZES)
def test_the_home_screen_offers_check_in_in_its_nav_row(size):
    mpp = site_config.load(ROOT / "examples" / "mpp.toml")
    groups = group_by_agency(mpp, mpp.kiosks["k1"].services)
    for page in (0, 1):
        lay = layout(groups, size, page, checkin=True)
        kinds = [b.kind for b in lay.buttons if b.kind != "service"]
        assert "checkin" in kinds and "priority" in kinds
        rects = [b.rect for b in lay.buttons]
        for i, a in enumerate(rects):
            assert a[0] >= 0 and a[0] + a[2] <= size[0]
            assert all(not overlaps(a, b) for b in rects[i + 1:])
        button = next(b for b in lay.buttons if b.kind == "checkin")
        assert button.label == "Sudah pesan online? Lapor di sini"
        assert button.rect[3] >= target_px(DEFAULT_DPI) and button.rect[2] >= size[0] // 4


# -- the screen, rendered --------------------------------------------------------------------------

@pytest.fixture
def small_site(tmp_path):
    """The small site with bookings; no broker: only its services are read."""
    path = tmp_path / "site.toml"
    path.write_text(site_text(9)[0])
    return site_config.load(path)


def test_the_keyboard_renders_legibly_and_taps_type_the_code(small_site, artifacts):
    import pygame
    sends = []
    screen = TouchScreen(small_site, kiosk_config(small_site, "k1"), on_tap=lambda *a: None,
                         size=(1280, 800), checkin=True)
    screen.on_checkin = lambda code, last4, t: sends.append((code, last4))
    screen.open()
    try:
        screen.draw()
        button = next(b for b in screen.layout.buttons if b.kind == "checkin")
        assert screen.surface.get_at((button.rect[0] + 4, button.rect[1] + button.rect[3] // 2)
                                     )[:3] == COLOURS["checkin"]
        pygame.image.save(screen.surface, str(artifacts / "kiosk-touch-checkin-home.png"))
        screen.tap_at(*centre(button.rect), time.monotonic())
        assert screen.checkin.state == CODE
        for ch in "WXYZ6":
            k = next(k for k in checkin_layout(screen.checkin.view(), screen.size).keys
                     if k.char == ch)
            screen.tap_at(*centre(k.rect), time.monotonic())
        screen.draw()
        lay = checkin_layout(screen.checkin.view(), screen.size)
        w = next(k for k in lay.keys if k.char == "W")
        kirim = next(k for k in lay.keys if k.kind == "kirim")
        assert screen.surface.get_at((w.rect[0] + 4, w.rect[1] + w.rect[3] // 2))[:3] == \
            COLOURS["button"]
        assert screen.surface.get_at((kirim.rect[0] + 4, kirim.rect[1] + kirim.rect[3] // 2)
                                     )[:3] == COLOURS["disabled"]
        # the label is drawn: white pixels in the key's middle
        x, y, kw, kh = w.rect
        middle = screen.surface.subsurface((x + kw // 4, y + kh // 4, kw // 2, kh // 2))
        assert any(middle.get_at((i, j))[:3] == (255, 255, 255)
                   for i in range(middle.get_width()) for j in range(middle.get_height()))
        pygame.image.save(screen.surface, str(artifacts / "kiosk-touch-checkin.png"))
        assert screen.checkin.code == "WXYZ6"
        for ch in "789" "3275":
            k = next(k for k in checkin_layout(screen.checkin.view(), screen.size).keys
                     if k.char == ch)
            screen.tap_at(*centre(k.rect), time.monotonic())
        screen.draw()
        pygame.image.save(screen.surface, str(artifacts / "kiosk-touch-checkin-nik.png"))
        kirim = next(k for k in checkin_layout(screen.checkin.view(), screen.size).keys
                     if k.kind == "kirim")
        screen.tap_at(*centre(kirim.rect), time.monotonic())
        screen.tap_at(*centre(kirim.rect), time.monotonic())
        assert sends == [("WXYZ6789", "3275")]
    finally:
        pygame.display.quit()


def test_a_check_in_screen_left_alone_goes_back_to_the_services(small_site):
    import pygame
    screen = TouchScreen(small_site, kiosk_config(small_site, "k1"), on_tap=lambda *a: None,
                         size=(800, 480), checkin=True, idle_s=0.3)
    screen.open()
    screen.checkin.open(time.monotonic())
    stop = threading.Event()
    runner = threading.Thread(target=screen.run, args=(stop,), daemon=True)
    runner.start()
    try:
        wait_for(lambda: not screen.checkin.active and screen.layout is not None
                 and not screen._dirty, what="the home screen again")
        assert any(b.kind == "checkin" for b in screen.layout.buttons)
    finally:
        stop.set()
        runner.join(5)
    assert not runner.is_alive()
    pygame.display.quit()


# -- a touch kiosk against the real queue service --------------------------------------------------

class Taps:
    """Synthetic finger taps on a running touch kiosk, as SDL delivers them."""

    def __init__(self, app):
        self.app = app

    def post(self, rect) -> None:
        import pygame
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=centre(rect)))

    def home(self, kind: str) -> None:
        wait_for(lambda: self.app.touch.layout is not None and not self.app.touch.checkin.active,
                 what="the home screen")
        self.post(next(b for b in self.app.touch.layout.buttons if b.kind == kind).rect)

    def key(self, kind: str, char: str | None = None) -> None:
        lay = checkin_layout(self.app.touch.checkin.view(), self.app.touch.size)
        self.post(next(k for k in lay.keys if k.kind == kind and k.char == char).rect)

    def text(self, chars: str, state: str) -> None:
        """Tap ``chars``; each tap waits until the screen took the one before."""
        for ch in chars:
            before = self.app.touch.checkin.view()
            wait_for(lambda: self.app.touch.checkin.view().state == state, what=state)
            self.key("char", ch)
            wait_for(lambda: self.app.touch.checkin.view() != before, what=f"{ch} typed")

    def refused(self, code: str, digits: str) -> str:
        """Type ``code`` and ``digits`` from the home screen, send once the kiosk is ready, and
        return the refusal shown."""
        self.home("checkin")
        self.text(code, CODE)
        self.text(digits, NIK)
        wait_for(lambda: ready(self.app), what="the kiosk past its cool-down")
        self.key("kirim")
        return wait_for(lambda: answered(self.app, ERROR), 10, what="the refusal shown").text

    def scan(self, text: str) -> None:
        import pygame
        for ch in text:
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, unicode=ch, key=0, mod=0))


def ready(app) -> bool:
    """Past the kiosk's cool-down after its last answer (asked on its own loop)."""
    return app.loop.call(lambda: app.kiosk.asking is None
                         and app.kiosk.monotonic() >= app.kiosk.ready_at)


def answered(app, state: str):
    view = app.touch.checkin.view()
    return view if view.state == state and not app.touch._dirty else None


@pytest.mark.broker
def test_a_booked_visitor_types_the_code_on_the_touch_screen_and_gets_a_printed_ticket(
        tmp_path, artifacts):
    import pygame
    from hardware.printer import MemoryPrinter

    printer = MemoryPrinter()
    sends = []
    with Mall(tmp_path) as mall, touch_kiosk(mall, printer) as app:
        queue = mall.queue
        screen_send = app.touch.on_checkin
        app.touch.on_checkin = lambda code, last4, t: (sends.append(code),
                                                       screen_send(code, last4, t))
        taps = Taps(app)
        typed = mall.book("3275014107850007")
        scanned = mall.book("3275014107850015")

        # a code nobody booked: the queue's reason, in Indonesian, and a way back
        wrong = next(c for c in ("ZZZZ2222", "YYYY3333") if c not in (typed, scanned))
        taps.home("checkin")
        taps.text(wrong, CODE)
        taps.text("0007", NIK)
        taps.key("kirim")
        view = wait_for(lambda: answered(app, ERROR), 10, what="the refusal shown")
        assert "Kode pemesanan tidak dikenal" in view.text
        pygame.image.save(app.touch.surface, str(artifacts / "kiosk-touch-checkin-refused.png"))
        taps.key("batal")                            # "Kembali"

        # the booked code, with a double tap on Kirim: one request, one ticket
        taps.home("checkin")
        taps.text(typed, CODE)
        taps.text("0007", NIK)
        wait_for(lambda: ready(app), what="the kiosk past its cool-down")
        taps.key("kirim")
        taps.key("kirim")
        view = wait_for(lambda: answered(app, DONE), 10, what="the ticket shown")
        assert view.text == "Silakan ambil tiket Anda: A001"
        assert len(printer.slips) == 1 and b"A001" in printer.slips[0]
        pygame.image.save(app.touch.surface, str(artifacts / "kiosk-touch-checkin-done.png"))
        wait_for(lambda: not pygame.event.peek(), what="every tap handled")
        app.loop.call(lambda: None)                  # every check-in posted has been sent
        queue.watcher.barrier()
        # one request per Kirim (a resend after 2 s unanswered would repeat its id)
        checkins = list({c["id"]: c for c in queue.watcher.bodies("/kiosk/k1/checkin")}.values())
        assert [c["code"] for c in checkins] == [wrong, typed] and sends == [wrong, typed]
        # the keypad's request exactly: code, id, nik_last4 (hardware.checkin)
        assert set(checkins[1]) == {"code", "id", "nik_last4"} and \
            checkins[1]["nik_last4"] == "0007"
        _, ticket = queue.watcher.wait_for(
            lambda t, b: t.endswith("/ticket") and isinstance(b, dict) and b.get("booking"),
            what="the ticket event")
        assert ticket["booking"] == typed and ticket["ticket"] == "A001"
        taps.key("selesai")

        # a QR scanner still works while the keyboard is up (and half a code is typed)
        taps.home("checkin")
        taps.text("AB", CODE)
        wait_for(lambda: ready(app), what="the kiosk past its cool-down")
        taps.scan(f"ANTRIAN:BK:{scanned}\r")
        view = wait_for(lambda: answered(app, DONE), 10, what="the scanned ticket shown")
        assert view.text == "Silakan ambil tiket Anda: A002" and view.code == scanned
        assert "nik_last4" not in queue.watcher.bodies("/kiosk/k1/checkin")[-1]
        taps.key("selesai")

        # tomorrow's booking today: not yet, in the queue's words
        early = mall.book("3275014107850023", day=(
            datetime.fromisoformat(mall.today) + timedelta(days=1)).date().isoformat())
        assert "Belum waktunya lapor" in taps.refused(early, "0023")
        taps.key("batal")

        # the same booking again: already used
        text = taps.refused(typed, "0007")
        assert "sudah dipakai" in text and "A001" in text
        assert len(printer.slips) == 2
