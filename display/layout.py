"""Where everything goes: a pure function from a :class:`View` and a screen size to cells.

    cells = layout(view, (1920, 1080), "landscape")
    [c.text for c in cells if c.role == "now_ticket"]      # ['A012']

A cell is an opaque rectangle with at most one line of text; cells never overlap, so the renderer
redraws exactly the cells whose content changed. Text that needs two lines (a long service name,
"LOKET / PRIORITAS") is two cells. Sizes scale with ``u = min(width, height) / 1080``.

Readable from 10 m (docs/display.md, "Legible from 10 m"): on a 43" 1080p TV a pixel is 0.496 mm
and DejaVu's capitals are 0.73 em, so a font of ``px`` pixels has capitals of 0.36 * px mm. A
20/40 eye, common at 60, reads 29 mm capitals at 10 m: :data:`TICKET_PX` (80 px). What a visitor
looks for (the called ticket and counter, the counter grid's tickets, the recent calls' tickets)
is at least that; counter names and the recent calls' counters :data:`KEY_PX` (26 mm); every
other text :data:`MIN_PX` (20 mm). Text colours are at least 4.5:1 against their background
(:func:`contrast`).
"""

from __future__ import annotations

import math

from display.measure import (ADVANCE, LINE, box_width, contrast, fit_lines, fit_px,
                             pack_pages, text_width, wrap)

from display.cells import (AMBER, GREY, MARQUEE_BG, NAVY, ORANGE, PANEL, RED, ROW, ROW_ALT, SOFT,
                           WHITE, YELLOW, Cell, Cells)
from display.view import View

__all__ = ["ADVANCE", "AMBER", "GREY", "LINE", "MARQUEE_BG", "NAVY", "ORANGE", "PANEL", "RED",
           "ROW", "ROW_ALT", "SOFT", "WHITE", "YELLOW", "Cell", "box_width", "contrast", "fit_px",
           "layout", "text_width"]

MIN_PX = 56      # any text: 20 mm capitals on a 43" 1080p TV
KEY_PX = 72      # counter names, the recent calls' counters: 26 mm
TICKET_PX = 80   # tickets and the called counter: 29 mm, a 20/40 eye at 10 m
LABEL_PX = 60    # headings, service names, the closed line, the missed list
ROW_PX = 88      # height of a row of the recent calls and of the counter names (u)

def _page(count: int, per_page: int, view: View) -> tuple[int, int]:
    """(first index, page count) of the page shown now: pages turn every page_seconds."""
    if per_page <= 0 or count <= per_page:
        return 0, 1
    pages = math.ceil(count / per_page)
    page = int(view.now // view.page_seconds) % pages
    return page * per_page, pages


# -- pieces --------------------------------------------------------------------------------------

def _badge_px(c: Cells, text: str, w: float, h: float) -> float:
    """The offline badge shrinks rather than lose the broker's address (never connected)."""
    return max(0.75 * MIN_PX * c.u, fit_px(text, w, h, "condensed-bold", LABEL_PX * c.u))


def _header(c: Cells, view: View, x, y, w, h) -> None:
    """One row: title, then the date (offline: the red badge), then the clock."""
    u, pad = c.u, 16 * c.u
    clock_w = box_width("00:00", 64 * u, "bold", h) + pad
    side, face = (view.offline, "condensed-bold") if view.offline else (view.date, "condensed")
    side_w = min(w * (0.6 if view.offline else 0.45),
                 box_width(side, LABEL_PX * u, face, h) + pad)
    title_w = max(0.0, w - clock_w - side_w)
    px = max(MIN_PX * u, fit_px(view.title, title_w, h, "condensed-bold", LABEL_PX * u))
    c.add("title", x, y, title_w, h, view.title, px, face="condensed-bold", bg=PANEL,
          role="title")
    if view.offline:
        c.add("badge", x + title_w, y, side_w, h, side, _badge_px(c, side, side_w, h),
              face=face, bg=RED, align="center", role="badge")
    else:
        c.add("date", x + title_w, y, side_w, h, side, LABEL_PX * u, face=face, bg=PANEL,
              align="right", role="date")
    c.add("clock", x + w - clock_w, y, clock_w, h, view.clock, 64 * u, face="bold", bg=PANEL,
          align="right", role="clock")


def _header_two_rows(c: Cells, view: View, x, y, w, h) -> None:
    """Portrait: the title (offline: the red badge, the whole width), then date and clock."""
    u, row = c.u, h / 2
    clock_w = box_width("00:00", 64 * u, "bold", row) + 16 * u
    if view.offline:
        c.add("badge", x, y, w, row, view.offline, _badge_px(c, view.offline, w, row),
              face="condensed-bold", bg=RED, align="center", role="badge")
    else:
        c.add("title", x, y, w, row, view.title, LABEL_PX * u, face="condensed-bold",
              bg=PANEL, align="center", role="title")
    c.add("date", x, y + row, w - clock_w, row, view.date, LABEL_PX * u, face="condensed",
          bg=PANEL, role="date")
    c.add("clock", x + w - clock_w, y + row, clock_w, row, view.clock, 64 * u, face="bold",
          bg=PANEL, align="right", role="clock")


def _now_panel(c: Cells, view: View, x, y, w, h) -> None:
    """The called ticket and, as large, the counter to walk to (on two lines when longer)."""
    u = c.u
    if view.identify:
        c.add("identify", x, y, w, h, view.identify,
              fit_px(view.identify, w, h * 0.5, "bold", 200 * u), face="bold", fg=NAVY,
              bg=ORANGE, align="center", role="identify")
        return
    bg, fg, ticket_fg = (YELLOW, NAVY, NAVY) if view.flash else (PANEL, WHITE, YELLOW)
    label_h = 72 * u
    labels = view.labels
    c.add("now.label", x, y, w, label_h, labels["now"], LABEL_PX * u, face="bold", fg=fg, bg=bg,
          align="center", role="label")
    ticket = view.now_ticket or labels["idle"]
    counter = (view.now_counter or "").upper()
    # Nothing called yet: a modest dash, not a giant one.
    largest = 400 * u if view.now_ticket else 1.5 * TICKET_PX * u
    best = None
    for share in (0.52, 0.44, 0.38):   # a long counter name may take more of the panel
        ticket_h = (h - label_h) * share
        ticket_px = fit_px(ticket, w, ticket_h, "bold", largest)
        lines, px = fit_lines(counter, w, h - label_h - ticket_h, "bold", ticket_px)
        score = (min(ticket_px * 0.7, px), ticket_px)   # the counter at 70 % of the ticket
        if best is None or score > best[0]:
            best = (score, ticket_h, ticket_px, lines, px)
    _, ticket_h, ticket_px, lines, px = best
    counter_h = h - label_h - ticket_h
    c.add("now.ticket", x, y + label_h, w, ticket_h, ticket, ticket_px, face="bold",
          fg=ticket_fg, bg=bg, align="center", role="now_ticket")
    # Smaller rather than cut: the counter to walk to must be read whole.
    c.lines("now.counter", x, y + label_h + ticket_h, w, counter_h, lines, max(px, MIN_PX * u),
            face="bold", fg=fg, bg=bg, align="center", role="now_counter")


def _recent(c: Cells, view: View, x, y, w, h, cols: int = 1) -> None:
    u = c.u
    row_h, label_h = ROW_PX * u, 72 * u
    c.add("recent.label", x, y, w, label_h, view.labels["recent"], LABEL_PX * u, face="bold",
          fg=SOFT, bg=ROW, role="label")
    rows = max(0, int((h - label_h) / row_h + 1e-6))
    col_w = math.floor(w / cols)
    ticket_w = min(col_w * 0.55, box_width(view.ticket_sample, TICKET_PX * u, "bold", row_h))
    for i in range(rows * cols):
        r, k = divmod(i, cols)
        ticket, counter = view.recent[i] if i < len(view.recent) else ("", "")
        bg = ROW_ALT if r % 2 == 0 else ROW
        cx, cy = x + k * col_w, y + label_h + row_h * r
        c.add(f"recent.{i}.ticket", cx, cy, ticket_w, row_h, ticket, TICKET_PX * u, face="bold",
              fg=YELLOW, bg=bg, role="recent_ticket")
        px = max(MIN_PX * u, fit_px(counter, col_w - ticket_w, row_h, "condensed", KEY_PX * u))
        c.add(f"recent.{i}.counter", cx + ticket_w, cy, col_w - ticket_w, row_h, counter, px,
              face="condensed", bg=bg, role="recent_counter")


def _closed_text(view: View, room: float, px: float) -> str:
    """"Tutup: Loket 3 (buka 13:00), 4, 7 +38": the closed counters in one line, the common
    word said once, as many as fit (with their reopening times when those fit too), then how
    many more."""
    closed = [r for r in view.counters if r.open is False]
    if not closed:
        return ""
    head = view.labels["closed_counters"] + ": "
    first = closed[0].name.split(" ")[0] + " "
    names = [row.name if i == 0 or not row.name.startswith(first) else row.name[len(first):]
             for i, row in enumerate(closed)]
    detailed = [f"{n} ({view.labels['opens']} {r.until})" if r.until else n
                for n, r in zip(names, closed)]
    def fits(text: str) -> bool:
        return text_width(text, px, "condensed") * 1.08 <= room
    whole = head + ", ".join(detailed)
    if fits(whole):
        return whole
    best = head + f"+{len(names)}"
    for shown in range(1, len(names) + 1):     # as many as fit, then how many more
        rest = len(names) - shown
        text = head + ", ".join(names[:shown]) + (f"  +{rest}" if rest else "")
        if not fits(text):
            break
        best = text
    return best


def _counters(c: Cells, view: View, x, y, w, h, widest_ticket: str) -> float:
    """The open counters' grid, then one line for the closed ones and the grid's page
    ("2/3"); returns the height used."""
    u, gap = c.u, 8 * c.u
    name_h, ticket_h, fold_h = ROW_PX * u, 104 * u, 80 * u
    cell_h = name_h + ticket_h
    cell_w_min = max(300 * u, text_width(widest_ticket, TICKET_PX * u, "bold") * 1.04 + 12 * u)
    cols = max(1, int((w + gap) // (cell_w_min + gap)))
    rows_fit = max(1, int((h - fold_h) // (cell_h + gap)))
    shown = [r for r in view.counters if r.open is not False]
    rows = min(rows_fit, math.ceil(len(shown) / cols)) if shown else 0
    start, pages = _page(len(shown), cols * rows, view)
    cell_w = math.floor((w - gap * (cols - 1)) / cols)
    for i in range(cols * rows):
        r, k = divmod(i, cols)
        cx, cy = x + k * (cell_w + gap), y + r * (cell_h + gap)
        if start + i >= len(shown):
            break   # an empty slot stays bare background
        row = shown[start + i]
        name = _grid_name(row.name, cell_w, name_h, MIN_PX * u)
        px = max(MIN_PX * u, fit_px(name, cell_w, name_h, "condensed", KEY_PX * u))
        c.add(f"counter.{i}.name", cx, cy, cell_w, name_h, name, px, face="condensed",
              fg=WHITE, bg=PANEL, align="center", role="counter_name")
        c.add(f"counter.{i}.ticket", cx, cy + name_h, cell_w, ticket_h,
              row.ticket or view.labels["idle"], TICKET_PX * u, face="bold", fg=YELLOW,
              bg=PANEL, align="center", role="counter_ticket")
    used = rows * (cell_h + gap)
    closed = any(r.open is False for r in view.counters)
    if not closed and pages == 1:
        return max(0.0, used - gap)
    page = f"{start // (cols * rows) + 1}/{pages}" if pages > 1 else ""
    page_w = box_width("88/88", LABEL_PX * u, "bold", fold_h) if page else 0
    text = _closed_text(view, w - page_w - 24 * u, MIN_PX * u)
    c.add("counters.closed", x, y + used, w - page_w, fold_h, text, MIN_PX * u,
          face="condensed", fg=AMBER, bg=ROW, role="counters_closed")
    if page:
        c.add("counters.page", x + w - page_w, y + used, page_w, fold_h, page, LABEL_PX * u,
              face="bold", fg=SOFT, bg=ROW, align="right", role="page")
    return used + fold_h


def _grid_name(name: str, w: float, h: float, smallest: float) -> str:
    """A counter name for a grid cell: whole when it fits, else without the word every counter
    has ("Loket Aduan BPJS" -> "Aduan BPJS", "Priority Counter" -> "Priority")."""
    if fit_px(name, w, h, "condensed", smallest) >= int(smallest):
        return name
    words = name.split(" ")
    if len(words) > 1 and words[0].lower() in ("loket", "counter"):
        return " ".join(words[1:])
    if len(words) > 1 and words[-1].lower() == "counter":
        return " ".join(words[:-1])
    return name


def _service_blocks(view: View, width: float, px: float) -> list[list[tuple[str, str]]]:
    """Each service as its lines: (text, role); a long name on two lines, a closed service's
    status ("Sudah tutup, buka 13:00") on its own line."""
    blocks = []
    for row in view.services:
        lines = [(line, "service_name") for line in wrap(row.name, width, px, "condensed")]
        if row.status:
            lines.append((row.status, "service_status"))
        blocks.append(lines)
    return blocks


def _services(c: Cells, view: View, x, y, w, h) -> None:
    u = c.u
    labels = view.labels
    line_h = 68 * u
    count_w = box_width(labels["waiting"], LABEL_PX * u, "bold", line_h) * 1.1
    room = max(0, int((h - line_h) // line_h))
    blocks = _service_blocks(view, w - count_w, MIN_PX * u)
    pages = pack_pages([len(b) for b in blocks], max(room, 1)) if blocks else [(0, 0)]
    page = int(view.now // view.page_seconds) % len(pages)
    head = labels["service"] + (f"  {page + 1}/{len(pages)}" if len(pages) > 1 else "")
    c.add("services.label", x, y, w - count_w, line_h, head, LABEL_PX * u, face="bold",
          fg=SOFT, bg=ROW, role="label")
    c.add("services.waiting", x + w - count_w, y, count_w, line_h, labels["waiting"],
          LABEL_PX * u, face="bold", fg=SOFT, bg=ROW, align="right", role="label")
    start, end = pages[page]
    slots: list[tuple[str, str, str, int]] = []     # text, role, waiting, block parity
    for i in range(start, end):
        row, lines = view.services[i], blocks[i]
        count = (labels["closed_short"] if row.status else
                 "-" if row.waiting is None else str(row.waiting))
        for j, (text, role) in enumerate(lines):
            slots.append((text, role, count if j == 0 else "", (i - start) % 2))
    for j in range(room):
        text, role, count, parity = slots[j] if j < len(slots) else ("", "service_name", "", j)
        bg = ROW_ALT if parity % 2 == 0 else ROW
        cy = y + line_h * (j + 1)
        fg = AMBER if role == "service_status" else WHITE
        c.add(f"service.{j}.name", x, cy, w - count_w, line_h, text, MIN_PX * u,
              face="condensed", fg=fg, bg=bg, role=role)
        c.add(f"service.{j}.waiting", x + w - count_w, cy, count_w, line_h, count, KEY_PX * u,
              face="bold", fg=AMBER if count == labels["closed_short"] else YELLOW, bg=bg,
              align="right", role="service_waiting")


def _missed(c: Cells, view: View, x, y, w, h) -> None:
    u = c.u
    label = view.labels["missed"]
    label_w = box_width(label, LABEL_PX * u, "bold", h)
    c.add("missed.label", x, y, label_w, h, label, LABEL_PX * u, face="bold", fg=SOFT, bg=ROW,
          role="label")
    room = w - label_w - 16 * u
    shown: list[str] = []
    for ticket in view.missed:
        if text_width("  ".join(shown + [ticket, "+999"]), 64 * u, "bold") > room:
            break
        shown.append(ticket)
    rest = len(view.missed) - len(shown)
    text = "  ".join(shown) + (f"  +{rest}" if rest else "")
    c.add("missed.list", x + label_w, y, w - label_w, h, text, 64 * u, face="bold", fg=YELLOW,
          bg=ROW, role="missed")


def _footer(c: Cells, view: View, x, y, w, h) -> None:
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
    c = Cells(u)
    if kind == "counter":
        _counter_screen(c, view, w, h)
    elif kind == "portrait":
        _portrait(c, view, w, h)
    else:
        _landscape(c, view, w, h)
    return c.items


def _landscape(c: Cells, view: View, w: int, h: int) -> None:
    u = c.u
    pad, footer_h, header_h, missed_h = 16 * u, 88 * u, 96 * u, 80 * u
    _header(c, view, 0, 0, w, header_h)
    top, bottom = header_h + pad, h - footer_h - pad
    avail = bottom - top
    left_w = w * 0.40
    rows = max(2, min(6, int((avail - 480 * u - pad - 72 * u) // (ROW_PX * u))))
    recent_h = 72 * u + rows * ROW_PX * u
    panel_h = avail - recent_h - pad
    _now_panel(c, view, pad, top, left_w - pad, panel_h)
    _recent(c, view, pad, top + panel_h + pad, left_w - pad, recent_h)
    rx = left_w + pad
    rw = w - rx - pad
    used = _counters(c, view, rx, top, rw, avail * 0.42, view.ticket_sample)
    sy = top + used + pad if used else top
    _services(c, view, rx, sy, rw, bottom - missed_h - pad - sy)
    _missed(c, view, rx, bottom - missed_h, rw, missed_h)
    _footer(c, view, 0, h - footer_h, w, footer_h)


def _portrait(c: Cells, view: View, w: int, h: int) -> None:
    u = c.u
    pad, footer_h, header_h, missed_h = 16 * u, 88 * u, 150 * u, 80 * u
    _header_two_rows(c, view, 0, 0, w, header_h)
    top, bottom = header_h + pad, h - footer_h - pad
    avail, inner = bottom - top, w - 2 * pad
    panel_h = avail * 0.32
    _now_panel(c, view, pad, top, inner, panel_h)
    y = top + panel_h + pad
    recent_h = 72 * u + 3 * ROW_PX * u
    _recent(c, view, pad, y, inner, recent_h)
    y += recent_h + pad
    used = _counters(c, view, pad, y, inner, avail * 0.26, view.ticket_sample)
    y += used + pad if used else 0
    _services(c, view, pad, y, inner, bottom - missed_h - pad - y)
    _missed(c, view, pad, bottom - missed_h, inner, missed_h)
    _footer(c, view, 0, h - footer_h, w, footer_h)


def _counter_screen(c: Cells, view: View, w: int, h: int) -> None:
    """One counter: its name on top, its ticket as large as the screen allows."""
    row = view.counters[0] if view.counters else None
    name = row.name if row else view.title
    name_h, status_h = h * 0.2, h * 0.16
    ticket_h = h - name_h - status_h
    if view.identify:
        c.add("identify", 0, 0, w, h, view.identify, fit_px(view.identify, w, h * 0.4, "bold", h),
              face="bold", fg=NAVY, bg=ORANGE, align="center", role="identify")
        return
    bg, fg = (YELLOW, NAVY) if view.flash else (NAVY, YELLOW)
    c.add("counter.name", 0, 0, w, name_h, name, fit_px(name, w, name_h, "bold", h),
          face="bold", fg=WHITE, bg=PANEL, align="center", role="counter_name")
    if row is not None and row.open is False:
        ticket, role, tfg = row.note or view.labels["closed"], "counter_closed", AMBER
        tfg = NAVY if view.flash else tfg
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
