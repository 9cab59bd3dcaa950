"""The touch kiosk's home screen as a pure function of its services and the screen size.

    groups = group_by_agency(site, cfg.services)
    lay = layout(groups, (1920, 1080), page=0)    # headings and buttons, tested without a screen
    lay.hit(x, y)                                 # the button under a finger, or None
    layout(groups, (800, 480), dpi=187, language="en")  # a 5" panel's 9 mm keys, in English

Kept apart from :mod:`hardware.touch` (which draws it) so the layout is tested alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from antrian.config import Site
from hardware.config import DEFAULT_DPI
from hardware.said import from_message, in_language
from hardware.touch_text import LABELS
from mqtt.consumer import clean_text

Rect = tuple[int, int, int, int]   # x, y, w, h
MIN_TARGET_MM = 9.0        # a fingertip target (ISO 9241-9 and the platform guides: 7-10 mm)
CHECKIN_LABEL = LABELS["id"]["checkin"]


@dataclass(frozen=True)
class Button:
    rect: Rect
    kind: str                      # service | prev | next | priority | checkin | language
    label: str
    service: str | None = None


@dataclass
class Layout:
    header: Rect
    banner: Rect
    headings: list[tuple[Rect, str]] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    page: int = 0
    pages: int = 1
    language: Button | None = None     # top right in the header (:func:`language_button`)
    title: Rect | None = None          # the header's text, clear of the language button

    def hit(self, x: int, y: int) -> Button | None:
        for b in self.buttons + ([self.language] if self.language else []):
            bx, by, bw, bh = b.rect
            if bx <= x < bx + bw and by <= y < by + bh:
                return b
        return None


def target_px(dpi: float = DEFAULT_DPI) -> int:
    """The smallest side of a finger target, in pixels, at ``dpi``."""
    return math.ceil(MIN_TARGET_MM / 25.4 * dpi)


def header_height(h: int, share: int, dpi: float, pad: int) -> int:
    """A header ``share`` % of the height, tall enough for the language button (9 mm)."""
    return max(h * share // 100, target_px(dpi) + pad)


def language_button(w: int, header_h: int, pad: int, language: str, *,
                    portrait: bool = False) -> tuple[Button, Rect]:
    """The button that switches language, top right in the header, named in the other
    language's words ("English", "Bahasa Indonesia"); and the header's text rect beside it,
    as wide on the left so the title stays centred. A portrait screen's button takes at most
    a quarter of the width and the text all the rest (720 px wide: 516 px, not 228)."""
    side = header_h - pad
    bw = max(2 * side, w // 6)
    if portrait:                  # a tall header: its full height would take a third
        bw = min(bw, w // 4)
        title = (pad, 0, w - bw - 3 * pad, header_h)
    else:
        title = (bw + 2 * pad, 0, w - 2 * (bw + 2 * pad), header_h)
    button = Button((w - pad - bw, pad // 2, bw, side), "language", LABELS[language]["language"])
    return button, title


def group_by_agency(site: Site, services: tuple[str, ...]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The kiosk's services grouped by agency, agencies in the order the TOML names them."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for sid in services:
        s = site.services[sid]
        groups.setdefault(s.agency, []).append((sid, s.name))
    return list(groups.items())


Placed = tuple[Rect, str, "str | None", str]      # (rect, kind, service, label)


def _bands(groups: list[tuple[str, list[tuple[str, str]]]], cols: int) -> list[tuple[str, list]]:
    """Bands, top to bottom: an agency with a row's worth of services gets the full width (a
    heading, then rows); smaller agencies share a band, one column each (a heading, then its
    services stacked), so forty services of twenty agencies do not need twenty rows."""
    bands: list[tuple[str, list]] = []
    shared: list[tuple[str, list[tuple[str, str]]]] = []
    for agency, services in groups:
        if len(services) >= cols:
            if shared:
                bands.append(("shared", shared))
                shared = []
            bands.append(("grid", [(agency, services)]))
        else:
            shared.append((agency, services))
            if len(shared) == cols:
                bands.append(("shared", shared))
                shared = []
    if shared:
        bands.append(("shared", shared))
    return bands


def _pages(bands: list[tuple[str, list]], *, w: int, pad: int, cols: int, top: int, bottom: int,
           heading_h: int, button_h: int, continued: str) -> list[list[Placed]]:
    """Headings and buttons placed band by band, a new page when the next does not fit."""
    col_w = (w - pad * (cols + 1)) // cols
    row_h = button_h + pad
    pages: list[list[Placed]] = [[]]
    y = top
    for kind, blocks in bands:
        if kind == "shared":
            tallest = max(len(services) for _, services in blocks)
            if y + heading_h + pad + tallest * row_h > bottom and pages[-1]:
                pages.append([])
                y = top
            for c, (agency, services) in enumerate(blocks):
                x = pad + c * (col_w + pad)
                pages[-1].append(((x, y, col_w, heading_h), "heading", None, agency))
                for r, (sid, name) in enumerate(services):
                    pages[-1].append(((x, y + heading_h + pad + r * row_h, col_w, button_h),
                                      "service", sid, name))
            y += heading_h + pad + tallest * row_h
            continue
        agency, services = blocks[0]
        rows = [services[i:i + cols] for i in range(0, len(services), cols)]
        for n, row in enumerate(rows):
            heading = n == 0
            if y + (heading_h + pad if heading else 0) + row_h > bottom and pages[-1]:
                pages.append([])
                y = top
                heading = True      # an agency split over pages is named again on the next
            if heading:
                pages[-1].append(((pad, y, w - 2 * pad, heading_h), "heading", None,
                                  agency if n == 0 else f"{agency} {continued}"))
                y += heading_h + pad
            for i, (sid, name) in enumerate(row):
                pages[-1].append(((pad + i * (col_w + pad), y, col_w, button_h), "service", sid,
                                  name))
            y += row_h
    return pages


def layout(groups: list[tuple[str, list[tuple[str, str]]]], size: tuple[int, int],
           page: int = 0, *, priority: bool = False, checkin: bool = False,
           dpi: float = DEFAULT_DPI, language: str = "id") -> Layout:
    """Place headings and buttons; services that do not fit go to further pages. ``checkin``:
    the nav row also has the button that opens the booking check-in (hardware.touch_checkin).

    Buttons are at least 80 px (or an eleventh of the height) tall: fingers, not mouse pointers;
    every button, the nav row's and the language button too, at least :func:`target_px` at
    ``dpi``. Labels are in ``language`` (hardware.touch_text).
    """
    w, h = size
    words = LABELS[language]
    pad = max(8, w // 120)
    cols = 3 if w >= h else 2
    target = target_px(dpi)
    # the nav row's buttons are finger targets too (9 mm), also on a 480-line screen
    header_h, banner_h = header_height(h, 12, dpi, pad), h * 14 // 100
    nav_h = max(h * 9 // 100, target + pad)
    pages = _pages(_bands(groups, cols), w=w, pad=pad, cols=cols, top=header_h + pad,
                   bottom=h - banner_h - nav_h - pad, heading_h=max(28, h * 5 // 100),
                   button_h=max(80, h // 11, target), continued=words["continued"])
    page = max(0, min(page, len(pages) - 1))
    switch, title = language_button(w, header_h, pad, language, portrait=w < h)
    out = Layout(header=(0, 0, w, header_h), banner=(0, h - banner_h, w, banner_h), page=page,
                 pages=len(pages), language=switch, title=title)
    for rect, kind, sid, label in pages[page]:
        if kind == "heading":
            out.headings.append((rect, label))
        else:
            out.buttons.append(Button(rect, "service", label, sid))
    nav_y = h - banner_h - nav_h
    # the nav row in sixths: page buttons 1 each, priority and check-in 2 each (without
    # check-in, thirds as before)
    unit = (w - 5 * pad) // 6 if checkin else (w - 4 * pad) // 3
    wide = 2 * unit if checkin else unit
    narrow = unit
    x_prio = 2 * pad + narrow
    if page > 0:
        out.buttons.append(Button((pad, nav_y, narrow, nav_h - pad), "prev", words["prev"]))
    out.buttons.append(Button((x_prio, nav_y, wide, nav_h - pad), "priority",
                              words["priority_on" if priority else "priority"]))
    x_next = x_prio + wide + pad
    if checkin:
        out.buttons.append(Button((x_next, nav_y, wide, nav_h - pad), "checkin",
                                  words["checkin"]))
        x_next += wide + pad
    if page < len(pages) - 1:
        out.buttons.append(Button((x_next, nav_y, narrow, nav_h - pad), "next", words["next"]))
    return out


def button_detail(info: dict | None, language: str = "id") -> tuple[bool, str]:
    """(open, second line) of a service's button from the kiosk's retained service info, in
    ``language`` where the text has it (a status carries ``{"id", "en"}``; a fee is the TOML's
    words, "Gratis" aside)."""
    words = LABELS[language]
    info = info or {}
    status = info.get("status") or {}
    if status.get("open") is False:
        text = status.get("text")
        said = in_language(from_message(text, words["closed"]), language) \
            if isinstance(text, dict) else words["closed"]
        return False, clean_text(said, 120) or words["closed"]
    standard = info.get("standard") or {}
    parts = []
    fee = standard.get("fee")
    if isinstance(fee, str) and fee:
        parts.append(words["free"] if fee.strip().lower() == "gratis" else clean_text(fee, 80))
    duration = standard.get("duration_minutes")
    if isinstance(duration, (int, float)) and not isinstance(duration, bool) \
            and math.isfinite(duration) and 0 < duration <= 100_000:
        parts.append(words["minutes"].format(n=duration))
    return True, " - ".join(parts)


def wrap(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Greedy word wrap with ``fits(line)`` deciding the width."""
    lines: list[str] = []
    for word in text.split():
        if lines and fits(f"{lines[-1]} {word}"):
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]
