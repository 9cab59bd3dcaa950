"""The renderer on SDL's dummy driver: real fonts, PNG screenshots, pixels, dirty rectangles."""

from __future__ import annotations

import dataclasses

import pygame
import pytest

from display.screen import merge_rects, rotate_rect
from display.fonts import Fonts
from display.layout import NAVY, PANEL, YELLOW, layout
from display.render import Renderer
from test_display_layout import COUNTER_SIZES, SIZES, view


@pytest.fixture(scope="module")
def fonts():
    pygame.display.init()
    yield Fonts()


def draw(fonts, v, size, kind):
    surface = pygame.Surface(size)
    renderer = Renderer(surface, fonts)
    cells = layout(v, size, kind)
    renderer.draw(cells, 0.0, full=True)
    return surface, renderer, cells


def count_color(surface, rect, color, tol=40) -> int:
    x, y, w, h = rect
    n = 0
    for px in range(x, x + w, 3):
        for py in range(y, y + h, 3):
            c = surface.get_at((px, py))
            if all(abs(c[i] - color[i]) <= tol for i in range(3)):
                n += 1
    return n


@pytest.mark.parametrize("size, kind", SIZES + [(s, "counter") for s in COUNTER_SIZES])
def test_screenshots_show_every_cell_with_its_background_and_tickets_whole(fonts, artifacts,
                                                                          size, kind):
    surface, renderer, cells = draw(fonts, view(offline="OFFLINE 2 mnt"), size, kind)
    out = artifacts / "display" / f"board-{kind}-{size[0]}x{size[1]}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    pygame.image.save(surface, str(out))
    assert pygame.image.load(str(out)).get_size() == size
    for cell in cells:
        x, y, w, h = cell.rect
        assert tuple(surface.get_at((x + 1, y + 1)))[:3] == cell.bg, cell.key
        assert tuple(surface.get_at((x + w - 2, y + h - 2)))[:3] == cell.bg, cell.key
    tickets = {c.key for c in cells if c.role in ("now_ticket", "counter_ticket", "recent_ticket",
                                                    "clock", "badge", "service_waiting")}
    assert not tickets & renderer.ellipsized, "a ticket or a figure was cut"
    big = [c for c in cells if c.role in ("now_ticket",) or c.key == "counter.ticket"][0]
    assert count_color(surface, big.rect, YELLOW) > 100, "the called ticket is not drawn"


def test_the_flash_is_visible_in_the_pixels(fonts):
    size = (1280, 720)
    off, _, cells = draw(fonts, view(flash=False), size, "landscape")
    on, _, _ = draw(fonts, view(flash=True), size, "landscape")
    panel = [c for c in cells if c.key == "now.ticket"][0].rect
    assert count_color(off, panel, PANEL, 4) > count_color(off, panel, YELLOW, 4)
    assert count_color(on, panel, YELLOW, 4) > count_color(on, panel, NAVY, 4)


def test_only_changed_cells_are_repainted(fonts):
    size = (1920, 1080)
    surface = pygame.Surface(size)
    r = Renderer(surface, fonts)
    v = view(running_text="")
    r.draw(layout(v, size), 0.0, full=True)
    assert r.draw(layout(v, size), 0.5) == []             # idle, no running text: nothing
    v2 = dataclasses.replace(v, now_ticket="A013")
    cells = layout(v2, size)
    dirty = r.draw(cells, 1.0)
    ticket = [c for c in cells if c.key == "now.ticket"][0]
    assert [tuple(d) for d in dirty] == [ticket.rect] and r.painted == ["A013"]


def test_the_running_text_moves_and_is_all_that_moves_when_idle(fonts):
    size = (1280, 720)
    surface = pygame.Surface(size)
    r = Renderer(surface, fonts)
    v = view(running_text="Selamat datang di Mal Pelayanan Publik")
    cells = layout(v, size)
    r.draw(cells, 0.0, full=True)
    marquee = [c for c in cells if c.marquee][0]
    before = pygame.image.tobytes(surface.subsurface(marquee.rect), "RGB")
    dirty = r.draw(cells, 0.2)
    assert [tuple(d) for d in dirty] == [marquee.rect]
    assert pygame.image.tobytes(surface.subsurface(marquee.rect), "RGB") != before


def test_a_long_name_is_cut_with_an_ellipsis_inside_its_cell(fonts):
    v = view(services=(view().services[0].__class__("Pendaftaran dan Perubahan Data Kepesertaan "
                                                    "Jaminan Kesehatan Nasional", 3),))
    surface, r, cells = draw(fonts, v, (1280, 720), "landscape")
    # wrapped over lines first; only what still does not fit is cut
    assert r.ellipsized & {c.key for c in cells if c.role == "service_name"}


@pytest.mark.parametrize("angle", [90, 180, 270])
def test_rotated_rectangles_land_where_pygame_rotates_them(angle):
    canvas = pygame.Surface((300, 200))
    canvas.fill((0, 0, 0))
    rect = (40, 30, 50, 20)
    canvas.fill((255, 0, 0), rect)
    rotated = pygame.transform.rotate(canvas, angle)
    x, y, w, h = rotate_rect(rect, (300, 200), angle)
    assert rotated.get_at((x, y))[:3] == (255, 0, 0)
    assert rotated.get_at((x + w - 1, y + h - 1))[:3] == (255, 0, 0)
    assert rotated.get_at((x - 1, y))[:3] == (0, 0, 0) if x else True
    red = sum(1 for i in range(rotated.get_width()) for j in range(rotated.get_height())
              if rotated.get_at((i, j))[:3] == (255, 0, 0))
    assert red == w * h == 1000


def test_fonts_come_from_the_system_and_are_loaded_once(fonts):
    assert fonts.paths["bold"] is not None and fonts.paths["bold"].name.endswith(".ttf")
    assert fonts.get("bold", 80) is fonts.get("bold", 80)


def test_a_board_on_a_tv_turned_on_its_side_draws_rotated(tmp_path):
    import tomllib
    from antrian.config import parse
    from support.site import SMALL_SITE
    from display.board import Board
    from display.config import board_config
    from mqtt.schemas import encode
    from board_fakes import FakeConnection, counter_state
    site = parse(tomllib.loads(SMALL_SITE.format(port=1883) +
                               '[[board]]\nid = "side"\nlayout = "portrait"\nrotate = 90\n'
                               'voice = false\n'))
    app = Board(site, board_config(site, "side"), size=(540, 960),
                connection=FakeConnection(site))
    try:
        app.open()
        window, canvas = app.screen.window, app.screen.canvas
        assert window.get_size() == (960, 540) and canvas.get_size() == (540, 960)
        app.on_message("antrian/test/counter/1/state", encode(counter_state("1", "A042")),
                       True, 0.0)
        app.tick()
        assert any(c.text == "A042" and c.role == "now_ticket" for c in app.cells)
        expected = pygame.transform.rotate(canvas, 90)
        assert pygame.image.tobytes(window, "RGB") == pygame.image.tobytes(expected, "RGB")
        app.screen.save(tmp_path / "side.png")
        assert pygame.image.load(str(tmp_path / "side.png")).get_size() == (960, 540)
    finally:
        app.close()


def test_touching_dirty_rectangles_are_pushed_as_one_and_distant_ones_apart():
    merged = merge_rects([(0, 0, 100, 50), (100, 0, 100, 50), (0, 1000, 1920, 80)])
    assert sorted(tuple(r) for r in merged) == [(0, 0, 200, 50), (0, 1000, 1920, 80)]
    chain = merge_rects([(0, 0, 10, 10), (500, 0, 10, 10), (12, 0, 490, 10)])
    assert [tuple(r) for r in chain] == [(0, 0, 510, 10)]
    assert merge_rects([(5, 5, 0, 10)]) == []


def test_the_running_text_moved_in_place_has_the_pixels_of_a_full_repaint(fonts):
    size = (1280, 720)
    v = view(running_text="Selamat datang di Mal Pelayanan Publik Kota Bogor")
    cells = layout(v, size)
    marquee = [c for c in cells if c.marquee][0]
    moved, fresh = pygame.Surface(size), pygame.Surface(size)
    r = Renderer(moved, fonts)
    r.draw(cells, 10.0, full=True)
    for i in range(1, 60):                       # 60 steps of 40 ms, the strip moved in place
        r.paint(marquee, 10.0 + i * 0.04)
    assert r._scrolled is not None
    expected = Renderer(fresh, fonts)
    expected.scroll = False
    expected.draw(cells, 10.0, full=True)
    expected.paint(marquee, 10.0 + 59 * 0.04)
    strip = marquee.rect
    assert (pygame.image.tobytes(moved.subsurface(strip), "RGB")
            == pygame.image.tobytes(fresh.subsurface(strip), "RGB"))


@pytest.mark.parametrize("open_before, open_after", [(50, 3), (0, 3), (3, 12), (12, 50)])
def test_a_layout_that_moves_cells_leaves_no_trace_of_where_they_were(fonts, open_before,
                                                                      open_after):
    """Counters opening or closing move the grid and the services below it: each frame drawn
    on top of the last must have the pixels of the same frame painted from scratch."""
    size = (1920, 1080)
    counters = view().counters
    before = view(running_text="", counters=tuple(
        dataclasses.replace(c, open=i < open_before) for i, c in enumerate(counters)))
    after = view(running_text="", counters=tuple(
        dataclasses.replace(c, open=i < open_after) for i, c in enumerate(counters)))
    surface = pygame.Surface(size)
    r = Renderer(surface, fonts)
    r.draw(layout(before, size), 0.0, full=True)
    r.draw(layout(after, size), 0.5)
    fresh, _, _ = draw(fonts, after, size, "landscape")
    assert pygame.image.tobytes(surface, "RGB") == pygame.image.tobytes(fresh, "RGB")


def _views():
    from hypothesis import strategies as st
    base = view(running_text="")
    return st.builds(
        lambda opened, services, recent, missed, offline, ticket: dataclasses.replace(
            base, counters=tuple(dataclasses.replace(c, open=i in opened)
                                 for i, c in enumerate(base.counters)),
            services=base.services[:services], recent=base.recent[:recent],
            missed=base.missed[:missed], offline=offline, now_ticket=ticket),
        st.sets(st.integers(0, 49), max_size=50), st.integers(0, 145), st.integers(0, 6),
        st.integers(0, 40), st.sampled_from([None, "TIDAK TERHUBUNG 3 mnt"]),
        st.sampled_from(["A001", "4K-010", "B123"]))


def test_any_sequence_of_frames_has_the_pixels_of_the_last_one_painted_from_scratch(fonts):
    from hypothesis import HealthCheck, given, settings, strategies as st

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(frames=st.lists(_views(), min_size=2, max_size=4),
           size=st.sampled_from([(1280, 720), (1920, 1080), (1080, 1920)]))
    def check(frames, size):
        kind = "portrait" if size[1] > size[0] else "landscape"
        surface = pygame.Surface(size)
        r = Renderer(surface, fonts)
        r.draw(layout(frames[0], size, kind), 0.0, full=True)
        for v in frames[1:]:
            r.draw(layout(v, size, kind), 0.0)
        fresh, _, _ = draw(fonts, frames[-1], size, kind)
        assert pygame.image.tobytes(surface, "RGB") == pygame.image.tobytes(fresh, "RGB")

    check()
