"""The layout as a pure function: inside the screen, no overlaps, readable sizes, pages."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from display.layout import (KEY_PX, MIN_PX, TICKET_PX, NAVY, ORANGE, PANEL, RED, YELLOW, Cell,
                            contrast, layout, text_width)
from display.view import CounterRow, ServiceRow, View

SIZES = [((1280, 720), "landscape"), ((1920, 1080), "landscape"), ((3840, 2160), "landscape"),
         ((1366, 768), "landscape"), ((1080, 1920), "portrait"), ((720, 1280), "portrait"),
         ((2160, 3840), "portrait")]
COUNTER_SIZES = [(800, 480), (1024, 600), (1280, 720), (1920, 1080), (480, 320)]


def view(**changes) -> View:
    base = View(
        language="id", title="Mal Pelayanan Publik Kota Bogor", date="Rabu, 30 September",
        clock="14:05", now_ticket="4K-010", now_counter="Loket 12", flash=False,
        counters=tuple(CounterRow(f"Loket {i}", f"A{i:03d}" if i % 7 else None, i % 5 != 2)
                       for i in range(1, 51)),
        recent=tuple((f"B{i:03d}", f"Loket {i}") for i in range(1, 7)),
        services=tuple(ServiceRow(f"Layanan nomor {i} dengan nama panjang", i % 13)
                       for i in range(145)),
        missed=tuple(f"C{i:03d}" for i in range(40)), offline=None,
        running_text="Selamat datang", identify=None, now=0.0, page_seconds=8.0,
        ticket_sample="4K-888")
    return dataclasses.replace(base, **changes)


def unit(size) -> float:
    return min(size) / 1080


def overlaps(a: Cell, b: Cell) -> bool:
    ax, ay, aw, ah = a.rect
    bx, by, bw, bh = b.rect
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def check_sane(cells: list[Cell], size) -> None:
    w, h = size
    keys = [c.key for c in cells]
    assert len(keys) == len(set(keys)), "duplicate cell keys"
    for c in cells:
        x, y, cw, ch = c.rect
        assert x >= 0 and y >= 0 and x + cw <= w and y + ch <= h, f"{c.key} {c.rect} off {size}"
        assert cw > 0 and ch > 0, c.key
    for a, b in itertools.combinations(cells, 2):
        assert not overlaps(a, b), f"{a.key} {a.rect} overlaps {b.key} {b.rect}"


@pytest.mark.parametrize("size, kind", SIZES)
def test_cells_stay_on_screen_and_never_overlap(size, kind):
    for v in (view(), view(offline="TIDAK TERHUBUNG 3 mnt"), view(identify="PAPAN lobby"),
              view(services=(), counters=(), recent=(), missed=(), now_ticket=None)):
        check_sane(layout(v, size, kind), size)


@pytest.mark.parametrize("size, kind", SIZES)
def test_text_is_large_enough_to_read_from_ten_metres(size, kind):
    u = unit(size)
    cells = layout(view(), size, kind)
    for c in cells:
        if c.text:
            assert c.px >= MIN_PX * u - 1, f"{c.key} {c.px}px < {MIN_PX * u}"
    for c in cells:
        if c.role in ("now_ticket", "now_counter", "counter_ticket", "recent_ticket"):
            assert c.px >= TICKET_PX * u - 1, f"{c.key} {c.px}px"
            assert c.rect[3] >= c.px, c.key
        if c.role == "counter_name" and len(c.text) <= 9:
            assert c.px >= KEY_PX * u - 1, f"{c.key} {c.px}px"
    now = [c for c in cells if c.role == "now_ticket"][0]
    assert now.px >= 2 * TICKET_PX * u      # the called number dominates the room


@pytest.mark.parametrize("size, kind", SIZES)
def test_the_called_counter_is_about_as_large_as_the_ticket(size, kind):
    for name in ("Loket 12", "Loket Prioritas", "Priority Counter"):
        cells = layout(view(now_counter=name), size, kind)
        ticket = [c for c in cells if c.role == "now_ticket"][0]
        counter = [c for c in cells if c.role == "now_counter"]
        assert " ".join(c.text for c in counter) == name.upper()
        assert min(c.px for c in counter) >= 0.5 * ticket.px, (name, counter[0].px, ticket.px)
        for c in counter:
            assert text_width(c.text, c.px, c.face) <= c.rect[2], c.text


@pytest.mark.parametrize("size, kind", SIZES + [(s, "counter") for s in COUNTER_SIZES])
def test_every_text_stands_out_from_its_background(size, kind):
    """WCAG AA for text (4.5:1) in every state a board can be in: normal, flashing, offline,
    identifying."""
    for v in (view(), view(flash=True), view(offline="TIDAK TERHUBUNG 3 mnt"),
              view(identify="PAPAN lobby"), view(counters=(CounterRow("Loket 3", None, False,
                                                                      "Istirahat", "13:00"),))):
        for c in layout(v, size, kind):
            if c.text:
                assert contrast(c.fg, c.bg) >= 4.5, (c.key, c.fg, c.bg, contrast(c.fg, c.bg))


@pytest.mark.parametrize("size, kind", SIZES)
def test_tickets_fit_their_cells_whole(size, kind):
    cells = layout(view(), size, kind)
    for c in cells:
        if c.role in ("now_ticket", "counter_ticket", "recent_ticket", "clock"):
            assert text_width(c.text, c.px, c.face) <= c.rect[2], f"{c.key} {c.text!r}"


@pytest.mark.parametrize("size, kind", SIZES)
def test_every_part_of_the_board_is_there(size, kind):
    roles = {c.role for c in layout(view(offline="TIDAK TERHUBUNG 3 mnt"), size, kind)}
    assert {"clock", "now_ticket", "now_counter", "counter_ticket", "counters_closed",
            "counter_name", "recent_ticket", "recent_counter", "service_name",
            "service_waiting", "missed", "marquee", "badge", "page"} <= roles
    assert {"title", "date"} <= {c.role for c in layout(view(), size, kind)}


def page_of(cells) -> list[str]:
    """The service names on a page, each put back together from its lines: a line whose
    waiting count is empty continues the name above it."""
    count = {c.key: c.text for c in cells if c.role == "service_waiting"}
    names: list[str] = []
    for c in sorted((c for c in cells if c.role == "service_name" and c.text),
                    key=lambda c: c.rect[1]):
        if names and not count[c.key.replace(".name", ".waiting")]:
            names[-1] += " " + c.text
        else:
            names.append(c.text)
    return names


@pytest.mark.parametrize("size, kind", SIZES)
def test_pages_turn_by_themselves_until_every_service_and_open_counter_was_shown(size, kind):
    v = view()
    seen_services, seen_counters, pages = set(), set(), set()
    for page in range(80):
        cells = layout(dataclasses.replace(v, now=v.now + page * v.page_seconds), size, kind)
        seen_services |= set(page_of(cells))
        seen_counters |= {c.text for c in cells if c.role == "counter_name"}
        pages |= {c.text for c in cells if c.role == "page"}
    assert seen_services == {s.name for s in v.services}
    assert seen_counters == {c.name for c in v.counters if c.open is not False}
    assert len(pages) > 1 and all("/" in p for p in pages)     # "1/3", "2/3", ...


def test_open_counters_come_first_and_the_closed_ones_fold_into_one_line():
    counters = tuple(CounterRow(f"Loket {i}", f"A{i:03d}" if i in (2, 7) else None,
                                i in (2, 7), until="13:00" if i == 3 else None)
                     for i in range(1, 8))
    cells = {c.key: c for c in layout(view(counters=counters), (1920, 1080))}
    grid = [c.text for c in cells.values() if c.role == "counter_name"]
    assert grid == ["Loket 2", "Loket 7"]
    assert cells["counters.closed"].text == "Tutup: Loket 1, 3 (buka 13:00), 4, 5, 6"
    assert "counters.page" not in cells          # one page: no indicator
    many = tuple(CounterRow(f"Loket {i}", None, False) for i in range(1, 51))
    line = [c for c in layout(view(counters=many), (1920, 1080)) if c.role == "counters_closed"][0]
    assert line.text.startswith("Tutup: Loket 1, 2, 3") and line.text.endswith(
        f"+{50 - line.text.count(',') - 1}")
    assert text_width(line.text, line.px, line.face) <= line.rect[2]
    en = [c for c in layout(view(counters=many, language="en"), (1920, 1080))
          if c.role == "counters_closed"][0]
    assert en.text.startswith("Closed: Loket 1, 2")


def test_a_long_service_name_wraps_instead_of_being_cut():
    name = "Pendaftaran dan Perubahan Data JKN"
    v = view(services=(ServiceRow(name, 4), ServiceRow("Roya", 1)))
    for size, kind in SIZES:
        cells = layout(v, size, kind)
        assert page_of(cells) == [name, "Roya"], (size, kind)
        for c in cells:
            if c.role == "service_name" and c.text:
                assert text_width(c.text, c.px, c.face) <= c.rect[2], (size, c.text)


def test_a_closed_service_keeps_its_reopening_time_whole():
    v = view(services=(ServiceRow("Pendaftaran dan Perubahan Data JKN", 4,
                                  status="Sudah tutup, buka 13:00"),))
    for size, kind in SIZES:
        cells = layout(v, size, kind)
        status = [c for c in cells if c.role == "service_status"]
        assert [c.text for c in status] == ["Sudah tutup, buka 13:00"]
        assert text_width(status[0].text, status[0].px, status[0].face) <= status[0].rect[2]
        assert contrast(status[0].fg, status[0].bg) >= 4.5


def test_a_page_stays_put_for_page_seconds():
    v = view()
    a = layout(v, (1920, 1080))
    b = layout(dataclasses.replace(v, now=v.now + 7.9), (1920, 1080))
    c = layout(dataclasses.replace(v, now=v.now + 8.0), (1920, 1080))
    assert page_of(a) == page_of(b) != page_of(c)


def test_a_small_board_needs_no_pages():
    v = view(services=v_services(3), counters=view().counters[:4])
    cells = layout(v, (1920, 1080))
    label = [c for c in cells if c.key == "services.label"][0]
    assert label.text == "Layanan"
    assert len([c for c in cells if c.role == "counter_ticket"]) + len(
        [c for c in cells if c.role == "counters_closed"][0].text.split(",")) == 4
    assert not [c for c in cells if c.role == "page"]


def v_services(n):
    return tuple(ServiceRow(f"S{i}", i) for i in range(n))


def test_the_flash_inverts_the_now_calling_panel():
    off = {c.key: c for c in layout(view(flash=False), (1920, 1080))}
    on = {c.key: c for c in layout(view(flash=True), (1920, 1080))}
    assert off["now.ticket"].bg == PANEL and off["now.ticket"].fg == YELLOW
    assert on["now.ticket"].bg == YELLOW and on["now.ticket"].fg == NAVY
    changed = {k for k in on if on[k] != off[k]}
    assert changed == {"now.label", "now.ticket", "now.counter"}


def test_identify_replaces_the_panel_with_the_board_id():
    cells = {c.key: c for c in layout(view(identify="PAPAN lobby"), (1920, 1080))}
    assert cells["identify"].text == "PAPAN lobby" and cells["identify"].bg == ORANGE
    assert "now.ticket" not in cells


def test_the_offline_badge_is_red_and_whole_in_the_header():
    for size, kind in SIZES:
        cells = {c.key: c for c in layout(view(offline="TIDAK TERHUBUNG 3 mnt"), size, kind)}
        badge = cells["badge"]
        assert badge.bg == RED and badge.rect[1] < 200 * unit(size)
        assert text_width(badge.text, badge.px, badge.face) <= badge.rect[2]
        title = {c.key: c for c in layout(view(), size, kind)}["title"]   # online: whole
        assert text_width(title.text, title.px, title.face) <= title.rect[2], size


def test_closed_counters_say_closed_in_the_board_language():
    cells = layout(view(), (1920, 1080))
    assert [c.text for c in cells if c.role == "counters_closed"][0].startswith("Tutup: Loket 2")
    cells = layout(view(language="en"), (1920, 1080))
    assert [c.text for c in cells if c.role == "counters_closed"][0].startswith("Closed: ")
    assert [c.text for c in cells if c.key == "now.label"] == ["NOW SERVING"]
    counter = layout(view(counters=(CounterRow("Loket 3", None, False),), language="en"),
                     (800, 480), "counter")
    assert [c.text for c in counter if c.key == "counter.ticket"] == ["CLOSED"]


def test_many_missed_numbers_end_with_a_count_of_the_rest():
    cell = [c for c in layout(view(), (1920, 1080)) if c.role == "missed"][0]
    shown = cell.text.split()
    assert shown[-1].startswith("+") and len(shown) - 1 + int(shown[-1][1:]) == 40
    assert text_width(cell.text, cell.px, cell.face) <= cell.rect[2]


@pytest.mark.parametrize("size", COUNTER_SIZES)
def test_the_counter_display_is_mostly_ticket(size):
    v = view(counters=(CounterRow("Loket 3", "2A-012", True),))
    cells = {c.key: c for c in layout(v, size, "counter")}
    check_sane(list(cells.values()), size)
    ticket = cells["counter.ticket"]
    assert ticket.text == "2A-012" and ticket.rect[3] >= size[1] * 0.6
    assert text_width(ticket.text, ticket.px, ticket.face) <= size[0]
    assert ticket.px >= min(size) * 0.2
    assert cells["counter.name"].text == "Loket 3"
    closed = layout(view(counters=(CounterRow("Loket 3", None, False),)), size, "counter")
    assert [c.text for c in closed if c.key == "counter.ticket"] == ["TUTUP"]


def test_closing_reasons_and_service_status_reach_the_cells():
    v = view(counters=(CounterRow("Loket 1", None, False, note="Istirahat", until="13:00"),),
             services=(ServiceRow("Perekaman KTP-el", 4, status="Istirahat sampai 13:00"),
                       ServiceRow("Kartu Keluarga", 2)))
    cells = {c.key: c for c in layout(v, (1920, 1080))}
    assert cells["counters.closed"].text == "Tutup: Loket 1 (buka 13:00)"
    assert cells["service.0.name"].text == "Perekaman KTP-el"
    assert cells["service.1.name"].text == "Istirahat sampai 13:00"
    assert cells["service.1.name"].role == "service_status"
    assert cells["service.0.waiting"].text == "Tutup" and cells["service.2.waiting"].text == "2"
    counter = {c.key: c for c in layout(v, (800, 480), "counter")}
    assert counter["counter.ticket"].text == "Istirahat"
    assert counter["counter.status"].text == "Buka lagi 13:00"


def test_a_board_that_never_connected_shows_the_broker_address_whole():
    text = "TIDAK TERHUBUNG - 192.168.100.200:1883"
    for size, kind in SIZES:
        badge = {c.key: c for c in layout(view(offline=text), size, kind)}["badge"]
        assert badge.text == text
        assert text_width(badge.text, badge.px, badge.face) <= badge.rect[2], size
        assert badge.px >= 0.75 * MIN_PX * unit(size) - 1


def test_a_long_called_counter_is_made_smaller_not_cut():
    for size, kind in SIZES:
        cells = layout(view(now_counter="BPJS Complaints Counter"), size, kind)
        for c in cells:
            if c.role == "now_counter":
                assert text_width(c.text, c.px, c.face) <= c.rect[2] and c.px >= MIN_PX * unit(size) - 1
