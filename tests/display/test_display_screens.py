"""The example mall (examples/mpp.toml) on every screen size the layout tests cover, rendered with
the real fonts: nothing overlaps, nothing that matters is cut, and PNGs to look at.

The screenshots land in the test artifacts (``display/mall-<board>-<w>x<h>.png``).
"""

from __future__ import annotations

import dataclasses

import pygame
import pytest

from display.layout import KEY_PX, MIN_PX, TICKET_PX, contrast, layout
from display.render import Renderer
from display.view import build_view
from mall_fakes import NOON, mall_model
from test_display_layout import COUNTER_SIZES, SIZES, check_sane

# What a visitor must read whole: never cut with an ellipsis.
WHOLE = {"now_ticket", "now_counter", "counter_ticket", "counter_name", "recent_ticket",
         "recent_counter", "clock", "badge", "service_waiting", "service_status", "page",
         "counters_closed", "missed", "date", "label"}
BOARDS = {"landscape": ["lobby", "passport-en"], "portrait": ["capil"]}


@pytest.fixture(scope="module")
def fonts():
    pygame.display.init()
    from display.fonts import Fonts
    yield Fonts()


def render(fonts, cells, size):
    surface = pygame.Surface(size)
    renderer = Renderer(surface, fonts)
    renderer.draw(cells, NOON, full=True)
    return surface, renderer


def boards_for(kind):
    return BOARDS.get(kind, [])


@pytest.mark.parametrize("size, kind", SIZES)
def test_the_example_mall_fits_every_screen_whole(fonts, artifacts, size, kind):
    for board in boards_for(kind):
        model = mall_model(board)
        for page in range(6):      # several pages of the grid and the services
            now = NOON + page * model.board.page_seconds
            cells = layout(build_view(model, now), size, kind)
            check_sane(cells, size)
            surface, renderer = render(fonts, cells, size)
            cut = {c.key for c in cells if c.role in WHOLE} & renderer.ellipsized
            assert not cut, (board, size, page, sorted(cut))
            if page == 0:
                out = artifacts / "display" / f"mall-{board}-{size[0]}x{size[1]}.png"
                out.parent.mkdir(parents=True, exist_ok=True)
                pygame.image.save(surface, str(out))


@pytest.mark.parametrize("size, kind", SIZES)
def test_the_example_mall_puts_open_counters_first_and_folds_the_rest(size, kind):
    for board in boards_for(kind):
        model = mall_model(board)
        cells = layout(build_view(model, NOON), size, kind)
        grid = [c for c in cells if c.role == "counter_ticket"]
        assert grid and all(c.text != "TUTUP" for c in grid)
        closed = [c for c in cells if c.role == "counters_closed"][0]
        assert closed.text.startswith(("Tutup: Loket", "Closed: Counter"))


@pytest.mark.parametrize("size", COUNTER_SIZES)
def test_the_example_mall_counter_displays(fonts, artifacts, size):
    for counter in ("p1", "3", "1"):
        model = mall_model("lobby", counter=counter)
        cells = layout(build_view(model, NOON), size, "counter")
        check_sane(cells, size)
        _, renderer = render(fonts, cells, size)
        assert not {"counter.ticket", "counter.status"} & renderer.ellipsized, (counter, size)
        for c in cells:
            assert contrast(c.fg, c.bg) >= 4.5, c.key


def test_the_english_board_translates_counter_names():
    model = mall_model("passport-en")
    view = build_view(model, NOON)
    names = {row.name for row in view.counters}
    assert "Counter 7" in names and not any(n.startswith("Loket") for n in names)
    lobby = build_view(mall_model("lobby"), NOON)
    assert lobby.now_counter == "Loket Prioritas"
    en = dataclasses.replace(lobby, language="en")
    assert en.labels["now"] == "NOW SERVING"


def test_a_board_that_starts_shows_the_same_recent_calls_as_its_neighbours():
    """Two boards started at different moments from the same retained state agree."""
    first, later = mall_model("lobby"), mall_model("lobby", now=NOON + 300)
    assert build_view(first, NOON).recent == build_view(later, NOON).recent
    assert len(build_view(first, NOON).recent) == 6 and not later.pending


def test_sizes_in_millimetres_on_a_43_inch_1080p_tv():
    """The figures docs/display.md gives: capitals of 0.73 em at 0.496 mm per pixel."""
    mm = lambda px: px * 0.73 * 0.496     # noqa: E731
    assert round(mm(TICKET_PX)) == 29 and round(mm(KEY_PX)) == 26 and round(mm(MIN_PX)) == 20
    cells = layout(build_view(mall_model("lobby"), NOON), (1920, 1080))
    for c in cells:
        if c.role in ("now_counter", "recent_ticket", "counter_ticket"):
            assert c.px >= TICKET_PX and mm(c.px) > 28.9, c.key
        if c.role in ("counter_name", "recent_counter"):
            assert mm(c.px) > 20, c.key
