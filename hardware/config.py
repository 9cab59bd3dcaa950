"""The hardware sections of the site TOML: ``[[panel]]`` for counters, extra keys of ``[[kiosk]]``.

    >>> site = antrian.config.load("examples/mpp.toml")
    >>> panel = panel_config(site, "1")
    >>> panel.pins["next"], panel.hold_time
    (17, 1.5)

A counter panel has either three (or four) buttons, or one button that does everything::

    [[panel]]
    counter = "1"
    next = 17            # BCM numbers, or gpiozero names such as "GPIO17" / "BOARD11"
    recall = 27
    skip = 22
    close = 23           # optional: close/open toggle
    led = 24
    buzzer = 25          # optional

    [[panel]]
    counter = "2"
    button = 5           # one button: press = next, hold = skip, double press = recall
    led = 6
    hold_time = 1.5

Errors name the key: ``panel[1].led: expected an integer or a string, got float 2.5``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from antrian.config import ConfigError, Site, need, tables
from antrian.sections import KIOSK, PANEL, PANEL_ACTIONS

# Kiosk panels: 21.5" 1920x1080 is 102 DPI, 15.6" 1920x1080 141, 10.1" 1280x800 149, 7" 800x480
# 133; 160 covers them all, so 57 px is 9 mm on any of them. A denser panel sets the kiosk's
# ``dpi`` in the site TOML. Here, not with the layout: the installer's preflight reads this file
# with the system's Python, before paho or pygame are installed.
DEFAULT_DPI = 160.0

Pin = int | str
ACTIONS = PANEL_ACTIONS

# The key names live in the one registry (antrian.sections), checked when the site is loaded.
PANEL_KEYS, KIOSK_KEYS = PANEL.known, KIOSK.known


def state_dir() -> Path:
    """Where panels and kiosks keep their SQLite files unless the TOML says otherwise.

    systemd's ``StateDirectory=`` sets ``$STATE_DIRECTORY``; elsewhere ``./var``.
    """
    return Path(os.environ.get("STATE_DIRECTORY", "var").split(":")[0])


@dataclass(frozen=True)
class PanelConfig:
    counter: str
    # action -> pin for three/four-button panels; empty for a one-button panel or keys only.
    pins: dict[str, Pin] = field(default_factory=dict)
    button: Pin | None = None
    led: Pin | None = None
    buzzer: Pin | None = None
    hold_time: float = 1.5
    double_press_s: float = 0.4
    bounce_time: float = 0.02
    max_press_age_s: float = 120.0
    resend_s: float = 2.0
    outbox: Path = Path("var/counter.outbox.db")

    @property
    def one_button(self) -> bool:
        return self.button is not None


@dataclass(frozen=True)
class KioskConfig:
    kiosk: str
    name: str
    services: tuple[str, ...]
    printer: str | None = None
    printer_profile: str | None = None
    buttons: dict[str, Pin] = field(default_factory=dict)   # service id -> pin
    led: Pin | None = None
    buzzer: Pin | None = None
    touch: bool = False
    fullscreen: bool = True
    ticket_url: str | None = None
    store: Path = Path("var/kiosk.db")
    take_timeout_s: float = 8.0
    bounce_time: float = 0.05
    cooldown_s: float = 1.0
    paper_mm: int = 80
    dpi: float = DEFAULT_DPI        # the touch panel's, for 9 mm keys (hardware.touch_layout)


def _pin(table: dict, key: str, where: str) -> Pin | None:
    value = need(table, key, (int, str), where, None)
    if isinstance(value, int) and not 0 <= value <= 53:
        raise ConfigError(f"{where}.{key}: {value} is not a GPIO number (0..53)")
    if isinstance(value, str) and not value.strip():
        raise ConfigError(f"{where}.{key}: empty pin name")
    return value


def _seconds(table: dict, key: str, where: str, default: float, low: float, high: float) -> float:
    value = float(need(table, key, (int, float), where, default))
    if not low <= value <= high:
        raise ConfigError(f"{where}.{key}: must be between {low:g} and {high:g} seconds")
    return value


def _check_unique_pins(pins: dict[str, Pin | None], where: str) -> None:
    seen: dict[Pin, str] = {}
    for key, pin in pins.items():
        if pin is None:
            continue
        if pin in seen:
            raise ConfigError(f"{where}.{key}: pin {pin!r} already used by {seen[pin]!r}")
        seen[pin] = key


def parse_panel(table: dict, site: Site, where: str) -> PanelConfig:
    """Validate one ``[[panel]]`` table."""
    counter = need(table, "counter", str, where)
    if counter not in site.counters:
        raise ConfigError(f"{where}.counter: unknown counter {counter!r}")
    where = f"panel[{counter}]"
    pins = {a: _pin(table, a, where) for a in ACTIONS}
    pins = {a: p for a, p in pins.items() if p is not None}
    button = _pin(table, "button", where)
    if button is not None and pins:
        raise ConfigError(f"{where}.button: a one-button panel has no {next(iter(pins))!r} pin")
    if pins and "next" not in pins:
        raise ConfigError(f"{where}.next: missing (every button panel needs a 'next' pin)")
    led, buzzer = _pin(table, "led", where), _pin(table, "buzzer", where)
    _check_unique_pins({**pins, "button": button, "led": led, "buzzer": buzzer}, where)
    outbox = need(table, "outbox", str, where, None)
    return PanelConfig(
        counter=counter, pins=pins, button=button, led=led, buzzer=buzzer,
        hold_time=_seconds(table, "hold_time", where, 1.5, 0.3, 10),
        double_press_s=_seconds(table, "double_press_s", where, 0.4, 0.1, 2),
        bounce_time=_seconds(table, "bounce_time", where, 0.02, 0, 0.5),
        max_press_age_s=_seconds(table, "max_press_age_s", where, 120, 1, 86400),
        resend_s=_seconds(table, "resend_s", where, 2, 0.2, 60),
        outbox=Path(outbox) if outbox else state_dir() / f"counter-{counter}.outbox.db",
    )


def panels(site: Site) -> dict[str, PanelConfig]:
    """Every ``[[panel]]`` of the site, by counter id."""
    found: dict[str, PanelConfig] = {}
    for i, t in enumerate(tables(site.raw, "panel")):
        panel = parse_panel(t, site, f"panel[{i}]")
        if panel.counter in found:
            raise ConfigError(f"panel[{i}].counter: counter {panel.counter!r} already has a panel")
        found[panel.counter] = panel
    return found


def panel_config(site: Site, counter: str, *, keys_only: bool = False) -> PanelConfig:
    """The panel of one counter; a keyboard panel (``keys_only``) needs no ``[[panel]]``."""
    if counter not in site.counters:
        raise ConfigError(f"counter: unknown counter {counter!r} (known: {', '.join(site.counters)})")
    found = panels(site)
    if counter in found:
        return found[counter]
    if keys_only:
        return PanelConfig(counter=counter, outbox=state_dir() / f"counter-{counter}.outbox.db")
    raise ConfigError(f"panel: no [[panel]] with counter = {counter!r} (or run with --keys)")


def kiosk_config(site: Site, kiosk: str) -> KioskConfig:
    """The hardware keys of one ``[[kiosk]]`` table (the common loader already checked the rest)."""
    if kiosk not in site.kiosks:
        raise ConfigError(f"kiosk: unknown kiosk {kiosk!r} (known: {', '.join(site.kiosks)})")
    common = site.kiosks[kiosk]
    table = next(t for t in tables(site.raw, "kiosk") if t.get("id") == kiosk)
    where = f"kiosk[{kiosk}]"
    raw_buttons = need(table, "buttons", dict, where, {})
    buttons: dict[str, Pin] = {}
    for service, _ in raw_buttons.items():
        if service not in common.services:
            raise ConfigError(f"{where}.buttons.{service}: not one of this kiosk's services")
        buttons[service] = _pin(raw_buttons, service, f"{where}.buttons")
    led, buzzer = _pin(table, "led", where), _pin(table, "buzzer", where)
    _check_unique_pins({**{f"buttons.{s}": p for s, p in buttons.items()}, "led": led,
                        "buzzer": buzzer}, where)
    url = need(table, "ticket_url", str, where, None)
    if url is not None:
        try:
            url.format(public_url="", ticket="", service="", kiosk="", day="", key="")
        except (KeyError, IndexError, ValueError) as e:
            raise ConfigError(f"{where}.ticket_url: bad placeholder {e}; use {{public_url}}, "
                              "{ticket}, {service}, {kiosk}, {day} or {key}") from None
    store = need(table, "store", str, where, None)
    return KioskConfig(
        kiosk=kiosk, name=common.name or f"Kios {kiosk}", services=common.services,
        printer=common.printer, printer_profile=need(table, "printer_profile", str, where, None),
        buttons=buttons, led=led, buzzer=buzzer,
        touch=need(table, "touch", bool, where, False),
        fullscreen=need(table, "fullscreen", bool, where, True),
        ticket_url=url,
        store=Path(store) if store else state_dir() / f"kiosk-{kiosk}.db",
        take_timeout_s=_seconds(table, "take_timeout_s", where, 8, 1, 120),
        bounce_time=_seconds(table, "bounce_time", where, 0.05, 0, 0.5),
        cooldown_s=_seconds(table, "cooldown_s", where, 1.0, 0, 30),
        paper_mm=_paper(table, where),
        dpi=_dpi(table, where),
    )


def _paper(table: dict, where: str) -> int:
    value = need(table, "paper_mm", int, where, 80)
    if value not in (58, 80):
        raise ConfigError(f"{where}.paper_mm: thermal rolls are 58 or 80 mm wide")
    return value


# A 65" 1080p totem is 34 DPI, a 10" 2560x1600 tablet 300: outside these bounds the figure is a
# typo (a resolution, a size in inches), and keys sized from it would be useless.
DPI_RANGE = (30.0, 400.0)


def _dpi(table: dict, where: str) -> float:
    value = float(need(table, "dpi", (int, float), where, DEFAULT_DPI))
    low, high = DPI_RANGE
    if not low <= value <= high:       # NaN fails too
        raise ConfigError(
            f"{where}.dpi: {value:g} is not a touch panel's dots per inch; give a number between "
            f"{low:g} and {high:g} (the panel's width in pixels divided by its width in inches: "
            '7" 800x480 is 133, 21.5" 1920x1080 is 102)')
    return value
