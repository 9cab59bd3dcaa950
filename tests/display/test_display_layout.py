"""The layout as a pure function: inside the screen, no overlaps, readable sizes, pages."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from display.layout import (MIN_PX, TICKET_PX, NAVY, ORANGE, PANEL, RED, YELLOW, Cell, layout,
                            text_width)
from display.view import CounterRow, ServiceRow, View

SIZES = [((1280, 720), "landscape"), ((1920, 1080), "landscape"), ((3840, 2160), "landscape"),
         ((1366, 768), "landscape"), ((1080, 1920), "portrait"), ((720, 1280), "portrait"),
         ((2160, 3840), "portrait")]
COUNTER_SIZES = [(800, 480), (1024, 600), (1280, 720), (1920, 1080), (480, 320)]


def view(**changes) -> View:
    base = View(
        language="id", title="Mal Pelayanan Publik Kota Bogor", date="Rabu, 30 September 2026",
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
    for v in (view(), view(offline="OFFLINE 3 mnt"), view(identify="PAPAN lobby"),
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
        if c.role in ("now_ticket", "counter_ticket"):
            assert c.px >= TICKET_PX * u - 1, f"{c.key} {c.px}px"
            assert c.rect[3] >= c.px, c.key
    now = [c for c in cells if c.role == "now_ticket"][0]
    assert now.px >= 2 * TICKET_PX * u      # the called number dominates the room


@pytest.mark.parametrize("size, kind", SIZES)
def test_tickets_fit_their_cells_whole(size, kind):
    cells = layout(view(), size, kind)
    for c in cells:
        if c.role in ("now_ticket", "counter_ticket", "recent_ticket", "clock"):
            assert text_width(c.text, c.px, c.face) <= c.rect[2], f"{c.key} {c.text!r}"


@pytest.mark.parametrize("size, kind", SIZES)
def test_every_part_of_the_board_is_there(size, kind):
    roles = {c.role for c in layout(view(offline="OFFLINE 3 mnt"), size, kind)}
    assert {"title", "date", "clock", "now_ticket", "now_counter", "counter_ticket",
            "counter_closed", "counter_name", "recent_ticket", "recent_counter", "service_name",
            "service_waiting", "missed", "marquee", "badge"} - {"date"} <= roles


@pytest.mark.parametrize("size, kind", SIZES)
def test_pages_turn_by_themselves_until_every_service_and_counter_was_shown(size, kind):
    v = view()
    seen_services, seen_counters = set(), set()
    for page in range(60):
        cells = layout(dataclasses.replace(v, now=v.now + page * v.page_seconds), size, kind)
        seen_services |= {c.text for c in cells if c.role == "service_name"}
        seen_counters |= {c.text for c in cells if c.role == "counter_name"}
    assert seen_services - {""} == {s.name for s in v.services}
    assert seen_counters - {""} == {c.name for c in v.counters}


def test_a_page_stays_put_for_page_seconds():
    v = view()
    a = layout(v, (1920, 1080))
    b = layout(dataclasses.replace(v, now=v.now + 7.9), (1920, 1080))
    c = layout(dataclasses.replace(v, now=v.now + 8.0), (1920, 1080))
    names = lambda cells: [x.text for x in cells if x.role == "service_name"]
    assert names(a) == names(b) != names(c)


def test_a_small_board_needs_no_pages():
    v = view(services=v_services(3), counters=view().counters[:4])
    cells = layout(v, (1920, 1080))
    label = [c for c in cells if c.key == "services.label"][0]
    assert label.text == "Layanan"
    assert len([c for c in cells if c.role in ("counter_ticket", "counter_closed")]) == 4


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


def test_the_offline_badge_is_red_and_in_the_header():
    cells = {c.key: c for c in layout(view(offline="OFFLINE 3 mnt"), (1920, 1080))}
    assert cells["badge"].bg == RED and cells["badge"].rect[1] == 0
    cells = {c.key: c for c in layout(view(offline="OFFLINE 3 mnt"), (1080, 1920), "portrait")}
    assert cells["badge"].bg == RED and cells["badge"].rect[1] < 200


def test_closed_counters_say_closed():
    cells = layout(view(), (1920, 1080))
    closed = [c for c in cells if c.role == "counter_closed"]
    assert closed and all(c.text == "TUTUP" for c in closed)
    cells = layout(view(language="en"), (1920, 1080))
    assert {c.text for c in cells if c.role == "counter_closed"} == {"CLOSED"}
    assert [c.text for c in cells if c.key == "now.label"] == ["NOW SERVING"]


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
    assert cells["counter.0.ticket"].text == "Istirahat"
    assert cells["service.0.name"].text == "Perekaman KTP-el · Istirahat sampai 13:00"
    assert cells["service.0.waiting"].text == "Tutup" and cells["service.1.waiting"].text == "2"
    counter = {c.key: c for c in layout(v, (800, 480), "counter")}
    assert counter["counter.ticket"].text == "Istirahat"
    assert counter["counter.status"].text == "Buka lagi 13:00"
