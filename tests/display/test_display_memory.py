"""What keeps a board's memory down (docs/display.md, "Memory"): big fonts not kept, glyph
bitmaps dropped without changing a pixel."""

from __future__ import annotations

import os

import pygame
import pytest

from display.fonts import KEEP_PX, Fonts


@pytest.fixture
def fonts():
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    pygame.font.init()
    return Fonts()


def test_fonts_up_to_keep_px_are_kept_larger_ones_are_opened_for_each_use(fonts):
    assert fonts.get("bold", KEEP_PX) is fonts.get("bold", KEEP_PX)
    big = fonts.get("bold", KEEP_PX + 1)
    assert big is not fonts.get("bold", KEEP_PX + 1)
    assert big.point_size == KEEP_PX + 1 and big.size("A001")[1] > 0


def test_forgetting_glyphs_changes_no_pixel(fonts):
    texts = ["A001", "Loket 12", "Kartu Keluarga", "Panggilan Terakhir"]
    sizes = (56, 112, KEEP_PX)

    def drawn():
        return [pygame.image.tobytes(fonts.get("regular", px).render(t, True, (255, 255, 0),
                                                                      (0, 0, 80)), "RGB")
                for px in sizes for t in texts]

    before = drawn()
    fonts.forget_glyphs()
    assert drawn() == before
    assert all(fonts.get("regular", px).point_size == px for px in sizes)
