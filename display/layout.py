"""Where everything goes: a pure function from a :class:`View` and a screen size to cells.

    cells = layout(view, (1920, 1080), "landscape")
    [c.text for c in cells if c.role == "now_ticket"]      # ['A012']

A cell is an opaque rectangle with at most one line of text; cells never overlap, so the renderer
redraws exactly the cells whose content changed. Sizes scale with ``u = min(width, height) / 1080``.

Readable from 10 m on a 43" 1080p TV (0.5 mm per pixel): every text is at least :data:`MIN_PX` u
(DejaVu cap height 0.73 em: 18 mm, 1.25x the 20/20 Snellen letter at 10 m), and the tickets a
visitor looks for (big panel, counter grid) at least :data:`TICKET_PX` u (29 mm caps).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from display.view import View

MIN_PX = 50
TICKET_PX = 80
LINE = 1.17      # DejaVu line height in em

Color = tuple[int, int, int]
NAVY: Color = (9, 27, 54)
PANEL: Color = (20, 52, 96)
ROW: Color = (14, 38, 72)
ROW_ALT: Color = (18, 45, 84)
WHITE: Color = (245, 247, 250)
SOFT: Color = (170, 190, 215)
YELLOW: Color = (255, 210, 63)
GREY: Color = (120, 130, 145)
RED: Color = (200, 30, 40)
ORANGE: Color = (240, 120, 20)
MARQUEE_BG: Color = (4, 14, 30)

# Advance widths (em) of DejaVu Sans faces by character class: digit, upper, lower, space, other.
# Measured with pygame on the real fonts; the renderer still clips with the real metrics.
ADVANCE = {
    "regular": (0.64, 0.68, 0.58, 0.32, 0.45),
    "bold": (0.70, 0.76, 0.66, 0.35, 0.50),
    "condensed": (0.57, 0.61, 0.51, 0.29, 0.40),
    "condensed-bold": (0.63, 0.68, 0.58, 0.31, 0.45),
}


@dataclass(frozen=True)
class Cell:
    key: str
    rect: tuple[int, int, int, int]       # x, y, w, h
    text: str = ""
    px: int = 0                           # font size in pixels
    face: str = "regular"
    fg: Color = WHITE
    bg: Color = NAVY
    align: str = "left"                   # left | center | right
    role: str = ""                        # what it is, for tests and the frame trace
    marquee: bool = False                 # text scrolls right to left


def text_width(text: str, px: float, face: str = "regular") -> float:
    digit, upper, lower, space, other = ADVANCE[face]
    total = 0.0
    for ch in text:
        total += (digit if ch.isdigit() else upper if ch.isupper() else lower if ch.islower()
                  else space if ch == " " else other)
    return total * px


def box_width(text: str, px: float, face: str, height: float) -> float:
    """A cell width that holds ``text`` with the renderer's side padding (height / 8) and a
    margin for the estimate."""
    return text_width(text, px, face) * 1.08 + height / 4 + 2


def fit_px(text: str, width: float, height: float, face: str, largest: float) -> int:
    """The largest font size (<= ``largest``) at which ``text`` fits the box."""
    px = min(largest, height / LINE)
    need = text_width(text or " ", 1.0, face)
    if need > 0:
        px = min(px, width * 0.94 / need)
    return max(1, int(px))


class _Cells:
    def __init__(self, u: float):
        self.u = u
        self.items: list[Cell] = []

    def add(self, key, x, y, w, h, text="", px=0, **style) -> None:
        self.items.append(Cell(key, (round(x), round(y), max(0, round(x + w) - round(x)),
                                     max(0, round(y + h) - round(y))), text, int(px), **style))


def _page(count: int, per_page: int, view: View) -> tuple[int, int]:
    """(first index, page count) of the page shown now: pages turn every page_seconds."""
    if per_page <= 0 or count <= per_page:
        return 0, 1
    pages = math.ceil(count / per_page)
    page = int(view.now // view.page_seconds) % pages
    return page * per_page, pages


# -- pieces --------------------------------------------------------------------------------------

def _header(c: _Cells, view: View, x, y, w, h, *, two_rows: bool) -> None:
    u, pad = c.u, 16 * c.u
    clock_w = box_width("00:00", 60 * u, "bold", h) + pad
    if two_rows:
        row = h / 2
        c.add("title", x, y, w, row, view.title, 52 * u, face="condensed-bold", bg=PANEL,
              align="center", role="title")
        left_w = w - clock_w
        if view.offline:
            c.add("badge", x, y + row, left_w, row, view.offline, 52 * u, face="bold", bg=RED,
                  align="center", role="badge")
        else:
            c.add("date", x, y + row, left_w, row, view.date, 50 * u, bg=PANEL, align="left",
                  role="date")
        c.add("clock", x + left_w, y + row, clock_w, row, view.clock, 60 * u, face="bold",
              bg=PANEL, align="right", role="clock")
        return
    date_w = box_width(view.date, 50 * u, "regular", h) + pad
    badge_w = box_width(view.offline, 52 * u, "bold", h) + pad if view.offline else 0
    title_w = max(0.0, w - clock_w - date_w - badge_w)
    c.add("title", x, y, title_w, h, view.title, 52 * u, face="condensed-bold", bg=PANEL,
          role="title")
    if view.offline:
        c.add("badge", x + title_w, y, badge_w, h, view.offline, 52 * u, face="bold", bg=RED,
              align="center", role="badge")
    c.add("date", x + title_w + badge_w, y, date_w, h, view.date, 50 * u, bg=PANEL,
          align="right", role="date")
    c.add("clock", x + w - clock_w, y, clock_w, h, view.clock, 60 * u, face="bold", bg=PANEL,
          align="right", role="clock")


def _now_panel(c: _Cells, view: View, x, y, w, h) -> None:
    u = c.u
    if view.identify:
        c.add("identify", x, y, w, h, view.identify,
              fit_px(view.identify, w, h * 0.5, "bold", 200 * u), face="bold", fg=WHITE,
              bg=ORANGE, align="center", role="identify")
        return
    bg, fg, ticket_fg = (YELLOW, NAVY, NAVY) if view.flash else (PANEL, WHITE, YELLOW)
    label_h, counter_h = 72 * u, min(140 * u, h * 0.24)
    labels = view.labels
    c.add("now.label", x, y, w, label_h, labels["now"], 56 * u, face="bold", fg=fg, bg=bg,
          align="center", role="label")
    ticket = view.now_ticket or labels["idle"]
    ticket_h = h - label_h - counter_h
    # Nothing called yet: a modest dash, not a giant one.
    largest = 400 * u if view.now_ticket else 1.5 * TICKET_PX * u
    c.add("now.ticket", x, y + label_h, w, ticket_h, ticket,
          fit_px(ticket, w, ticket_h, "bold", largest), face="bold", fg=ticket_fg, bg=bg,
          align="center", role="now_ticket")
    counter = (view.now_counter or "").upper()
    c.add("now.counter", x, y + label_h + ticket_h, w, counter_h, counter,
          max(MIN_PX * u, fit_px(counter, w, counter_h, "bold", 110 * u)), face="bold", fg=fg,
          bg=bg, align="center", role="now_counter")


def _recent(c: _Cells, view: View, x, y, w, h, cols: int) -> None:
    u = c.u
    row_h = 64 * u
    c.add("recent.label", x, y, w, row_h, view.labels["recent"], 52 * u, face="bold", fg=SOFT,
          role="label")
    rows = max(0, int((h - row_h) / row_h + 1e-6))
    col_w = math.floor(w / cols)
    ticket_w = min(col_w * 0.5, box_width(view.ticket_sample, 54 * u, "bold", row_h))
    for i in range(rows * cols):
        r, k = divmod(i, cols)
        ticket, counter = view.recent[i] if i < len(view.recent) else ("", "")
        bg = ROW if r % 2 == 0 else ROW_ALT
        cx, cy = x + k * col_w, y + row_h * (r + 1)
        c.add(f"recent.{i}.ticket", cx, cy, ticket_w, row_h, ticket, 54 * u, face="bold",
              fg=YELLOW, bg=bg, role="recent_ticket")
        c.add(f"recent.{i}.counter", cx + ticket_w, cy, col_w - ticket_w, row_h, counter, 50 * u,
              face="condensed", bg=bg, role="recent_counter")


def _counters(c: _Cells, view: View, x, y, w, h, widest_ticket: str) -> float:
    """The counter grid; returns the height it used."""
    u, gap = c.u, 8 * c.u
    name_h, ticket_h = 64 * u, 100 * u
    cell_h = name_h + ticket_h
    cell_w_min = max(260 * u, text_width(widest_ticket, TICKET_PX * u, "bold") / 0.94 + gap)
    cols = max(1, int((w + gap) // (cell_w_min + gap)))
    rows_fit = max(1, int((h + gap) // (cell_h + gap)))
    n = len(view.counters)
    rows = min(rows_fit, max(1, math.ceil(n / cols)))
    start, pages = _page(n, cols * rows, view)
    cell_w = math.floor((w - gap * (cols - 1)) / cols)
    labels = view.labels
    for i in range(cols * rows):
        r, k = divmod(i, cols)
        cx, cy = x + k * (cell_w + gap), y + r * (cell_h + gap)
        if start + i >= n:
            break   # an empty slot stays bare background
        row = view.counters[start + i]
        name = row.name
        if row.open is False:
            ticket, fg, role = row.note or labels["closed"], GREY, "counter_closed"
        else:
            ticket, fg, role = row.ticket or labels["idle"], YELLOW, "counter_ticket"
        c.add(f"counter.{i}.name", cx, cy, cell_w, name_h, name, MIN_PX * u, face="condensed",
              fg=SOFT if row.open is not False else GREY, bg=PANEL,
              align="center", role="counter_name")
        px = TICKET_PX * u if role == "counter_ticket" else MIN_PX * u
        c.add(f"counter.{i}.ticket", cx, cy + name_h, cell_w, ticket_h, ticket, px,
              face="bold" if role == "counter_ticket" else "condensed-bold", fg=fg, bg=PANEL,
              align="center", role=role)
    return rows * cell_h + (rows - 1) * gap


def _services(c: _Cells, view: View, x, y, w, h) -> None:
    u = c.u
    labels = view.labels
    count_w = box_width(labels["waiting"], 50 * u, "bold", 128 * u)
    rows = max(0, int((h - 64 * u) // (64 * u)))
    row_h = math.floor(h / (rows + 1)) if rows else 64 * u
    start, pages = _page(len(view.services), rows, view)
    head = labels["service"]
    if pages > 1:
        head += f"  {start // max(rows, 1) + 1}/{pages}"
    c.add("services.label", x, y, w - count_w, row_h, head, 52 * u, face="bold", fg=SOFT,
          role="label")
    c.add("services.waiting", x + w - count_w, y, count_w, row_h, labels["waiting"], 50 * u,
          face="bold", fg=SOFT, align="right", role="label")
    for i in range(rows):
        row = view.services[start + i] if start + i < len(view.services) else None
        bg = ROW if i % 2 == 0 else ROW_ALT
        cy = y + row_h * (i + 1)
        name = "" if row is None else f"{row.name} · {row.status}" if row.status else row.name
        c.add(f"service.{i}.name", x, cy, w - count_w, row_h, name, 50 * u,
              face="condensed", fg=GREY if row and row.status else WHITE, bg=bg,
              role="service_name")
        if row is not None and row.status:
            count, fg = labels["closed_short"], GREY
        else:
            count = "" if row is None else "-" if row.waiting is None else str(row.waiting)
            fg = YELLOW
        c.add(f"service.{i}.waiting", x + w - count_w, cy, count_w, row_h, count, 56 * u,
              face="bold", fg=fg, bg=bg, align="right", role="service_waiting")


def _missed(c: _Cells, view: View, x, y, w, h) -> None:
    u = c.u
    label = view.labels["missed"]
    label_w = box_width(label, 52 * u, "bold", h)
    c.add("missed.label", x, y, label_w, h, label, 52 * u, face="bold", fg=SOFT, bg=ROW,
          role="label")
    room = w - label_w - 16 * u
    shown: list[str] = []
    for ticket in view.missed:
        if text_width("  ".join(shown + [ticket, "+99"]), 52 * u, "bold") > room:
            break
        shown.append(ticket)
    rest = len(view.missed) - len(shown)
    text = "  ".join(shown) + (f"  +{rest}" if rest else "")
    c.add("missed.list", x + label_w, y, w - label_w, h, text, 52 * u, face="bold", fg=YELLOW,
          bg=ROW, role="missed")


def _footer(c: _Cells, view: View, x, y, w, h) -> None:
    c.add("marquee", x, y, w, h, view.running_text, 56 * c.u, face="regular", fg=WHITE,
          bg=MARQUEE_BG, role="marquee", marquee=True)


# -- whole screens -------------------------------------------------------------------------------

def layout(view: View, size: tuple[int, int], kind: str = "landscape") -> list[Cell]:
    """Cells of a main board (``landscape``/``portrait``) or a counter display (``counter``).

    Counter cells are made wide enough for ``view.ticket_sample`` (the widest ticket label the
    board can show, e.g. ``4K-888``) at full size.
    """
    w, h = size
    u = min(w, h) / 1080
    c = _Cells(u)
    sample = view.ticket_sample
    if kind == "counter":
        _counter_screen(c, view, w, h)
        return c.items
    pad = 16 * u
    footer_h = 88 * u
    if kind == "portrait":
        header_h = 150 * u
        _header(c, view, 0, 0, w, header_h, two_rows=True)
        y = header_h + pad
        inner = w - 2 * pad
        panel_h = 560 * u
        _now_panel(c, view, pad, y, inner, panel_h)
        y += panel_h + pad
        recent_h = 64 * u * 4
        _recent(c, view, pad, y, inner, recent_h, cols=2)
        y += recent_h + pad
        missed_h = 72 * u
        bottom = h - footer_h - missed_h - pad
        counters_room = min(2 * 172 * u, (bottom - y) * 0.5)
        used = _counters(c, view, pad, y, inner, counters_room, sample)
        y += used + pad
        _services(c, view, pad, y, inner, bottom - y - pad)
        _missed(c, view, pad, bottom, inner, missed_h)
        _footer(c, view, 0, h - footer_h, w, footer_h)
        return c.items
    header_h = 96 * u
    _header(c, view, 0, 0, w, header_h, two_rows=False)
    top, bottom = header_h + pad, h - footer_h - pad
    left_w = w * 0.40
    recent_h = 64 * u * 7
    panel_h = bottom - top - recent_h - pad
    _now_panel(c, view, pad, top, left_w - pad, panel_h)
    _recent(c, view, pad, top + panel_h + pad, left_w - pad, recent_h, cols=1)
    rx = left_w + pad
    rw = w - rx - pad
    missed_h = 72 * u
    used = _counters(c, view, rx, top, rw, (bottom - top) * 0.42, sample)
    sy = top + used + pad
    _services(c, view, rx, sy, rw, bottom - missed_h - pad - sy)
    _missed(c, view, rx, bottom - missed_h, rw, missed_h)
    _footer(c, view, 0, h - footer_h, w, footer_h)
    return c.items


def _counter_screen(c: _Cells, view: View, w: int, h: int) -> None:
    """One counter: its name on top, its ticket as large as the screen allows."""
    row = view.counters[0] if view.counters else None
    name = row.name if row else view.title
    name_h, status_h = h * 0.2, h * 0.16
    ticket_h = h - name_h - status_h
    if view.identify:
        c.add("identify", 0, 0, w, h, view.identify, fit_px(view.identify, w, h * 0.4, "bold", h),
              face="bold", bg=ORANGE, align="center", role="identify")
        return
    bg, fg = (YELLOW, NAVY) if view.flash else (NAVY, YELLOW)
    c.add("counter.name", 0, 0, w, name_h, name, fit_px(name, w, name_h, "bold", h),
          face="bold", fg=WHITE, bg=PANEL, align="center", role="counter_name")
    if row is not None and row.open is False:
        ticket, role, tfg = row.note or view.labels["closed"], "counter_closed", GREY
    else:
        ticket = (row.ticket if row else None) or view.labels["idle"]
        role, tfg = "counter_ticket", fg
    c.add("counter.ticket", 0, name_h, w, ticket_h, ticket,
          fit_px(ticket, w, ticket_h, "bold", h), face="bold", fg=tfg, bg=bg, align="center",
          role=role)
    status = view.offline or view.clock
    if not view.offline and row is not None and row.open is False and row.until:
        status = f"{view.labels['reopens']} {row.until}"
    c.add("counter.status", 0, name_h + ticket_h, w, status_h, status,
          fit_px(status, w, status_h, "bold", h), face="bold", fg=WHITE,
          bg=RED if view.offline else PANEL, align="center",
          role="badge" if view.offline else "clock")
