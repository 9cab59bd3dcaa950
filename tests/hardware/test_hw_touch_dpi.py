"""The kiosk's ``dpi`` key: validated where the site TOML is read, and every key of the touch
screens (home and check-in, the language button too) at least 9 mm at that DPI."""

import logging

import pytest

from antrian import config as site_config
from hardware.config import kiosk_config
from hardware.touch import TouchScreen, group_by_agency, layout
from hardware.touch_checkin import (CODE, DONE, ERROR, NIK, WAITING, CheckinView, checkin_layout,
                                    target_px)
from support.site import write_site

ConfigError = site_config.ConfigError

# The Raspberry Pi Touch Display 2: 7", 1280x720 (landscape): 210 DPI, so 9 mm is 75 px.
PI_DISPLAY, PI_DPI = (1280, 720), 210

KIOSK = """
[[kiosk]]
id = "k3"
name = "Kios Polres"
services = ["skck", "ktp", "kk"]
printer = "file:/tmp/k3.bin"
touch = true
{extra}
"""


def load(tmp_path, extra=""):
    return site_config.load(write_site(tmp_path / "site.toml", 1883, KIOSK.format(extra=extra)))


def screens(size, dpi, *, language="id"):
    """Each screen's finger targets: the home screen (both pages' navs) and the check-in's."""
    groups = [("Disdukcapil", [(f"s{i}", f"Layanan {i}") for i in range(20)])]
    for page in (0, 1):
        home = layout(groups, size, page, checkin=True, priority=page == 1, dpi=dpi,
                      language=language)
        yield f"home {page}", [b.rect for b in home.buttons] + [home.language.rect]
    for view in (CheckinView(CODE), CheckinView(NIK, "ABCD2345", 4), CheckinView(DONE, "A"),
                 CheckinView(ERROR, "ABCD2345"), CheckinView(WAITING, "ABCD2345")):
        lay = checkin_layout(view, size, dpi=dpi, language=language)
        yield view.state, [k.rect for k in lay.keys] + [lay.language.rect]


def finger_targets(size, dpi, *, language="id"):
    """Every key a finger can meet on the home screen and the check-in."""
    return [rect for _, rects in screens(size, dpi, language=language) for rect in rects]


def test_dpi_loads_from_the_kiosk_table_and_defaults_to_160(tmp_path):
    assert kiosk_config(load(tmp_path, "dpi = 210"), "k3").dpi == 210.0
    assert kiosk_config(load(tmp_path, "dpi = 101.6"), "k3").dpi == 101.6
    assert kiosk_config(load(tmp_path), "k3").dpi == 160.0


@pytest.mark.parametrize("value", ["0", "-133", "1920", "1e9", "nan", "inf", "29.9", "400.5"])
def test_a_dpi_out_of_bounds_is_refused_naming_the_key_and_the_range(tmp_path, value):
    with pytest.raises(ConfigError) as e:
        kiosk_config(load(tmp_path, f"dpi = {value}"), "k3")
    message = str(e.value)
    assert message.startswith("kiosk[k3].dpi: ")
    assert "between 30 and 400" in message and "dots per inch" in message


@pytest.mark.parametrize("value, said", [('"160"', "got str '160'"), ("true", "got a boolean"),
                                         ("[160]", r"got list \[160\]")])
def test_a_dpi_that_is_no_number_is_refused(tmp_path, value, said):
    with pytest.raises(ConfigError, match=r"kiosk\[k3\]\.dpi: expected a.* number, " + said):
        kiosk_config(load(tmp_path, f"dpi = {value}"), "k3")


def test_a_misspelt_dpi_key_is_unknown(tmp_path):
    with pytest.raises(ConfigError, match=r"kiosk\[k3\]: unknown key 'dip'"):
        load(tmp_path, "dip = 210")


@pytest.mark.parametrize("language", ["id", "en"])
def test_at_the_configured_dpi_every_key_is_9_mm(language):
    target = target_px(PI_DPI)
    assert target == 75
    rects = finger_targets(PI_DISPLAY, PI_DPI, language=language)
    assert min(min(r[2:]) for r in rects) >= target
    # the default (160 DPI) sizes some of them for a coarser panel: the key is what did it
    assert min(min(r[2:]) for r in finger_targets(PI_DISPLAY, 160.0)) < target
    w, h = PI_DISPLAY
    assert all(0 <= x and x + rw <= w and 0 <= y and y + rh <= h for x, y, rw, rh in rects)


# the usual panels at their own DPI, the Pi display, and a 1080p totem at the default
PANELS = [((800, 480), 133), ((1920, 1080), 102), ((1024, 600), 170), ((1280, 800), 149),
          (PI_DISPLAY, PI_DPI), ((1920, 1080), 160)]


def apart(a, b):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax >= bx + bw or bx >= ax + aw or ay >= by + bh or by >= ay + ah


@pytest.mark.parametrize("upright", [False, True], ids=["landscape", "portrait"])
@pytest.mark.parametrize("size, dpi", PANELS)
def test_the_usual_kiosk_panels_get_9_mm_keys_at_their_own_dpi_either_way_up(size, dpi, upright):
    """A panel turned upright (a kiosk totem) too: every key 9 mm, inside the screen, apart."""
    w, h = size[::-1] if upright else size
    for screen, rects in screens((w, h), dpi):
        assert min(min(r[2:]) for r in rects) >= target_px(dpi), (screen, rects)
        for i, (x, y, rw, rh) in enumerate(rects):
            assert 0 <= x and x + rw <= w and 0 <= y and y + rh <= h, (screen, rects[i])
            assert all(apart(rects[i], b) for b in rects[i + 1:]), (screen, rects[i])


def test_the_kiosk_dpi_reaches_the_rendered_screen(tmp_path, caplog):
    """From the TOML through kiosk_config to the pygame screen: its keys, as drawn, are 9 mm,
    and it does not warn; the same panel believed to be 400 DPI warns that they are not."""
    import pygame
    from hardware.kiosk_app import KioskApp
    from hardware.printer import MemoryPrinter
    site = load(tmp_path, f"dpi = {PI_DPI}")
    cfg = kiosk_config(site, "k3")
    app = KioskApp(site, cfg, printer=MemoryPrinter(), touch=True, screen_size=PI_DISPLAY)
    try:
        assert app.touch.dpi == PI_DPI
    finally:
        app.close()
    screen = TouchScreen(site, cfg, on_tap=lambda *a: None, size=PI_DISPLAY, checkin=True,
                         dpi=cfg.dpi)
    with caplog.at_level(logging.WARNING, logger="hardware.touch"):
        screen.open()
    try:
        assert not [r for r in caplog.records if "under 9 mm" in r.message]
        screen.draw()
        nav = [b for b in screen.layout.buttons if b.kind != "service"]
        for b in nav + [screen.layout.language]:
            x, y, bw, bh = b.rect
            assert min(bw, bh) >= 75
            # drawn: the button's colour fills its middle-left edge, not the background
            assert screen.surface.get_at((x + 3, y + bh // 2))[:3] != (245, 247, 250)
        screen.checkin.open(0.0)
        screen.draw()
        keys = checkin_layout(screen.checkin.view(), PI_DISPLAY, dpi=PI_DPI).keys
        assert min(min(k.rect[2:]) for k in keys) >= 75
    finally:
        pygame.display.quit()
    dense = TouchScreen(site, cfg, on_tap=lambda *a: None, size=(800, 480), checkin=True,
                        dpi=400)
    with caplog.at_level(logging.WARNING, logger="hardware.touch"):
        dense.open()
    pygame.display.quit()
    assert any("under 9 mm at 400 DPI" in r.message for r in caplog.records)


def test_the_example_site_sets_a_dpi_that_loads():
    from support.site import ROOT
    mpp = site_config.load(ROOT / "examples" / "mpp.toml")
    k1 = kiosk_config(mpp, "k1")
    assert k1.touch and 30 <= k1.dpi <= 400
    groups = group_by_agency(mpp, k1.services)
    assert layout(groups, (1920, 1080), dpi=k1.dpi).language.rect[3] >= target_px(k1.dpi)
