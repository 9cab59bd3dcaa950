"""The touch screen: layout as a pure function, then a real render on SDL's dummy driver."""

import threading
import time

import pytest

from hardware.config import kiosk_config
from hardware.touch import TouchScreen, group_by_agency, layout, wrap


def overlaps(a, b):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def all_pages(groups, size):
    first = layout(groups, size)
    return [layout(groups, size, p) for p in range(first.pages)]


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920), (800, 480), (1280, 800)])
def test_every_service_of_a_big_kiosk_gets_one_large_button_on_some_page(mpp, size):
    groups = group_by_agency(mpp, mpp.kiosks["k1"].services)
    pages = all_pages(groups, size)
    services = [b.service for p in pages for b in p.buttons if b.kind == "service"]
    assert sorted(services) == sorted(mpp.kiosks["k1"].services)
    w, h = size
    for p in pages:
        rects = [b.rect for b in p.buttons] + [r for r, _ in p.headings]
        for i, a in enumerate(rects):
            x, y, bw, bh = a
            assert 0 <= x and x + bw <= w and p.header[3] <= y and y + bh <= h - p.banner[3]
            assert all(not overlaps(a, b) for b in rects[i + 1:]), (a, p.page)
        for b in p.buttons:
            if b.kind == "service":
                assert b.rect[3] >= 80
    assert pages[0].headings[0][1] == "Disdukcapil"


def test_a_small_kiosk_fits_one_page_with_no_page_buttons(mpp):
    groups = group_by_agency(mpp, mpp.kiosks["k2"].services)
    lay = layout(groups, (1920, 1080))
    assert lay.pages == 1
    assert [b.kind for b in lay.buttons if b.kind != "service"] == ["priority"]
    assert [h for _, h in lay.headings] == ["Disdukcapil"]


def test_an_agency_split_over_pages_is_named_again(mpp):
    groups = [("Disdukcapil", [(f"s{i}", f"Layanan {i}") for i in range(30)])]
    pages = all_pages(groups, (800, 480))
    assert len(pages) > 1
    assert pages[1].headings[0][1] == "Disdukcapil (lanjutan)"


def test_wrap_keeps_words_whole():
    assert wrap("Layanan Prioritas Disdukcapil", lambda s: len(s) <= 18) == \
        ["Layanan Prioritas", "Disdukcapil"]


def test_the_screen_renders_and_a_tap_on_a_button_takes_that_service(mpp, artifacts):
    import pygame
    cfg = kiosk_config(mpp, "k2")
    taps = []
    screen = TouchScreen(mpp, cfg, on_tap=lambda s, t, p: taps.append((s, p)), size=(1280, 800))
    screen.open()
    try:
        screen.draw()
        kk = next(b for b in screen.layout.buttons if b.service == "kk")
        prio = next(b for b in screen.layout.buttons if b.kind == "priority")
        screen.tap_at(prio.rect[0] + 5, prio.rect[1] + 5, time.monotonic())
        assert screen.tap_at(kk.rect[0] + 10, kk.rect[1] + 10, time.monotonic()) == "kk"
        assert taps == [("kk", True)]
        assert screen.tap_at(2, 2, time.monotonic()) is None      # the header is no button
        screen.signal("ack", "Silakan ambil tiket Anda: B004")
        screen.draw()
        # The banner shows the message in the "ack" colour.
        bx, by, bw, bh = screen.layout.banner
        assert screen.surface.get_at((bx + 3, by + 3))[:3] == (46, 125, 50)
        pygame.image.save(screen.surface, str(artifacts / "kiosk-touch.png"))
    finally:
        pygame.display.quit()


def test_the_screen_loop_turns_mouse_events_into_taps(mpp):
    import pygame
    cfg = kiosk_config(mpp, "k2")
    taps = []
    screen = TouchScreen(mpp, cfg, on_tap=lambda s, t, p: taps.append(s), size=(1024, 600))
    screen.open()
    stop = threading.Event()
    screen.draw()
    ktp = next(b for b in screen.layout.buttons if b.service == "ktp")
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1,
                                         pos=(ktp.rect[0] + 4, ktp.rect[1] + 4)))
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    screen.run(stop)
    assert taps == ["ktp"] and stop.is_set()


def test_a_closed_service_is_greyed_with_its_reason_and_an_open_one_shows_its_standard(mpp,
                                                                                       artifacts):
    import pygame
    from hardware.touch import COLOURS, button_detail
    assert button_detail(None) == (True, "")
    assert button_detail({"status": None, "standard": {"fee": "Gratis",
                                                       "duration_minutes": 15}}) == \
        (True, "Gratis - 15 menit")
    closed = {"status": {"open": False, "code": "break",
                         "text": {"id": "Istirahat sampai 13:00", "en": "Break until 13:00"}},
              "standard": {"fee": "Gratis", "duration_minutes": 15}}
    assert button_detail(closed) == (False, "Istirahat sampai 13:00")
    cfg = kiosk_config(mpp, "k2")
    taps = []
    screen = TouchScreen(mpp, cfg, on_tap=lambda s, t, p: taps.append(s), size=(1280, 800))
    screen.open()
    try:
        screen.set_services({"ktp": closed, "kk": {"status": {"open": True}, "standard": {
            "fee": "Gratis", "duration_minutes": 10, "requirements": ["KTP-el"]}}})
        screen.draw()
        ktp = next(b for b in screen.layout.buttons if b.service == "ktp")
        kk = next(b for b in screen.layout.buttons if b.service == "kk")
        assert screen.surface.get_at((ktp.rect[0] + 3, ktp.rect[1] + ktp.rect[3] // 2))[:3] \
            == COLOURS["disabled"]
        assert screen.surface.get_at((kk.rect[0] + 3, kk.rect[1] + kk.rect[3] // 2))[:3] \
            == COLOURS["button"]
        # a tap on the closed one still reaches the kiosk, which says why it takes no ticket
        screen.tap_at(ktp.rect[0] + 10, ktp.rect[1] + 10, time.monotonic())
        assert taps == ["ktp"]
        pygame.image.save(screen.surface, str(artifacts / "kiosk-touch-status.png"))
    finally:
        pygame.display.quit()


def test_hostile_service_states_and_banner_texts_still_draw(mpp):
    import pygame
    from hardware.touch import button_detail
    evil = "A\x00B\x1b[2J\u202e" * 50
    assert button_detail({"status": {"open": False, "text": {"id": evil}}}) == \
        (False, "AB[2J" * 24)
    assert button_detail({"status": {"open": False, "text": {"id": 5}}}) == (False, "Tutup")
    assert button_detail({"standard": {"fee": evil, "duration_minutes": float("inf")}})[1] \
        .startswith("AB[2J")
    screen = TouchScreen(mpp, kiosk_config(mpp, "k2"), on_tap=lambda s, t, p: None,
                         size=(800, 480))
    screen.open()
    try:
        screen.set_services({"ktp": {"status": {"open": False, "text": {"id": evil}}},
                             "kk": {"status": {"open": True},
                                    "standard": {"fee": evil, "duration_minutes": 1e308}}})
        screen.signal("refused", evil)
        screen.draw()                     # a NUL would stop pygame's text render
        assert screen.frames >= 1
    finally:
        pygame.display.quit()
