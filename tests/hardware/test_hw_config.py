"""The [[panel]] tables and the kiosk's hardware keys: good values load, bad ones name the key."""

import pytest

from antrian import config as site_config
from support.site import write_site
from hardware.config import kiosk_config, panel_config

ConfigError = site_config.ConfigError


def load(tmp_path, extra):
    return site_config.load(write_site(tmp_path / "site.toml", 1883, extra))


def test_a_three_button_panel_loads_with_defaults(tmp_path):
    site = load(tmp_path, '[[panel]]\ncounter = "1"\nnext = 17\nrecall = "GPIO27"\nled = 24\n')
    p = panel_config(site, "1")
    assert p.pins == {"next": 17, "recall": "GPIO27"} and p.led == 24 and not p.one_button
    assert p.hold_time == 1.5 and p.max_press_age_s == 120 and p.outbox.name == "counter-1.outbox.db"


@pytest.mark.parametrize("extra, message", [
    ('[[panel]]\ncounter = "1"\nnext = 17\nled = 17\n', r"panel\[1\]\.led: pin 17 already used"),
    ('[[panel]]\ncounter = "1"\nnext = 17\nled = 2.5\n', r"panel\[1\]\.led: expected"),
    ('[[panel]]\ncounter = "1"\nnext = 17\nbutton = 4\n', r"panel\[1\]\.button: a one-button"),
    ('[[panel]]\ncounter = "1"\nnext = 17\ncolour = 4\n', r"panel\[1\]: unknown key 'colour'"),
    ('[[panel]]\ncounter = "9"\nnext = 17\n', r"panel\[0\]\.counter: unknown counter '9'"),
    ('[[panel]]\ncounter = "1"\nrecall = 17\n', r"panel\[1\]\.next: missing"),
    ('[[panel]]\ncounter = "1"\nnext = 99\n', r"panel\[1\]\.next: 99 is not a GPIO"),
    ('[[panel]]\ncounter = "1"\nbutton = 5\nhold_time = 0.1\n', r"panel\[1\]\.hold_time: must be"),
    ('[[panel]]\ncounter = "1"\nbutton = 5\nhold_time = true\n', r"panel\[1\]\.hold_time: .*boolean"),
    ('[[panel]]\ncounter = "1"\nnext = 5\n[[panel]]\ncounter = "1"\nnext = 6\n',
     r"panel\[1\]\.counter: counter '1' already has a panel"),
])
def test_panel_errors_name_the_key(tmp_path, extra, message):
    with pytest.raises(ConfigError, match=message):
        panel_config(load(tmp_path, extra), "1")


def test_a_keyboard_panel_needs_no_table_but_a_gpio_panel_does(tmp_path):
    site = load(tmp_path, "")
    with pytest.raises(ConfigError, match=r"no \[\[panel\]\] with counter = '2'"):
        panel_config(site, "2")
    assert panel_config(site, "2", keys_only=True).pins == {}
    with pytest.raises(ConfigError, match="unknown counter '7'"):
        panel_config(site, "7", keys_only=True)


KIOSK = """
[[kiosk]]
id = "k3"
name = "Kios Polres"
services = ["skck", "ktp"]
printer = "net:192.168.1.50"
buttons = {{ skck = 5, ktp = 6 }}
led = 13
{extra}
"""


def test_kiosk_hardware_keys_load(tmp_path):
    site = load(tmp_path, KIOSK.format(extra='touch = true\nticket_url = "{public_url}/t/{ticket}"'))
    k = kiosk_config(site, "k3")
    assert k.buttons == {"skck": 5, "ktp": 6} and k.led == 13 and k.touch
    assert k.printer == "net:192.168.1.50" and k.services == ("skck", "ktp")
    assert k.store.name == "kiosk-k3.db" and k.name == "Kios Polres"


@pytest.mark.parametrize("extra, message", [
    ("touch = 1", r"kiosk\[k3\]\.touch: expected true/false"),
    ("buzzer = 5", r"kiosk\[k3\]\.buzzer: pin 5 already used by 'buttons.skck'"),
    ('ticket_url = "{nope}"', r"kiosk\[k3\]\.ticket_url: bad placeholder"),
    ("paper = 58", r"kiosk\[k3\]: unknown key 'paper'"),
])
def test_kiosk_errors_name_the_key(tmp_path, extra, message):
    with pytest.raises(ConfigError, match=message):
        kiosk_config(load(tmp_path, KIOSK.format(extra=extra)), "k3")


def test_kiosk_buttons_must_be_its_own_services(tmp_path):
    site = load(tmp_path, KIOSK.replace("ktp = 6", "kk = 6").format(extra=""))
    with pytest.raises(ConfigError, match=r"kiosk\[k3\]\.buttons\.kk: not one of"):
        kiosk_config(site, "k3")


def test_the_example_in_docs_hardware_md_loads_with_the_example_site():
    """The TOML shown in docs/hardware.md (the lead copies it into examples/mpp.toml) is valid."""
    import re
    import tomllib
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    doc = (root / "docs" / "hardware.md").read_text()
    block = re.search(r"```toml\n(.*?)```", doc, re.S).group(1)
    example = tomllib.loads(block)
    raw = tomllib.loads((root / "examples" / "mpp.toml").read_text())
    raw["kiosk"] = example["kiosk"]
    raw.setdefault("panel", [])
    raw["panel"] = [p for p in raw["panel"] if p["counter"] not in ("1", "6")] + example["panel"]
    site = site_config.parse(raw)
    assert panel_config(site, "1").pins["skip"] == 22
    assert panel_config(site, "6").one_button
    assert kiosk_config(site, "k1").touch and kiosk_config(site, "k1").paper_mm == 80
    assert kiosk_config(site, "k2").buttons["akta-lahir"] == 13
