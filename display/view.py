"""What a board shows at one instant, in words: the model plus the clock, in the board's language.

    view = build_view(model, now=time.time())
    view.now_ticket, view.clock        # 'A012', '14:05:09'

Pure: the layout turns a :class:`View` into cells; nothing here knows about pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from display.model import BoardModel
from display.names import call_counter_label, counter_label
from ticketing import calendar_id

LABELS = {
    "id": {
        "now": "NOMOR ANTREAN", "counter": "LOKET", "waiting": "Menunggu", "service": "Layanan",
        "recent": "Panggilan Terakhir", "missed": "Terlewat", "closed": "TUTUP",
        "offline": "TIDAK TERHUBUNG", "no_data": "belum ada data", "idle": "-", "board": "PAPAN",
        "counter_display": "LOKET", "closed_short": "Tutup", "reopens": "Buka lagi",
        "closed_counters": "Tutup", "opens": "buka",
        "days": calendar_id.DAYS, "months": calendar_id.MONTHS,
        "units": ("dtk", "mnt", "jam"),
    },
    "en": {
        "now": "NOW SERVING", "counter": "COUNTER", "waiting": "Waiting", "service": "Service",
        "recent": "Last calls", "missed": "Missed", "closed": "CLOSED", "offline": "OFFLINE",
        "no_data": "no data yet", "idle": "-", "board": "BOARD", "counter_display": "COUNTER",
        "closed_short": "Closed", "reopens": "Reopens", "closed_counters": "Closed",
        "opens": "opens",
        "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
        "months": ["January", "February", "March", "April", "May", "June", "July", "August",
                   "September", "October", "November", "December"],
        "units": ("s", "min", "h"),
    },
}


@dataclass(frozen=True)
class CounterRow:
    name: str
    ticket: str | None
    open: bool | None      # None: no state yet
    note: str | None = None     # why it is closed ("Istirahat"), from the counter's close
    until: str | None = None    # HH:MM when it reopens by itself


@dataclass(frozen=True)
class ServiceRow:
    name: str
    waiting: int | None
    status: str | None = None   # why the service takes no tickets now, in the board's language


@dataclass(frozen=True)
class View:
    language: str
    title: str
    date: str
    clock: str
    now_ticket: str | None
    now_counter: str | None
    flash: bool                       # the panel is in its "inverted" half of a flash
    counters: tuple[CounterRow, ...]        # open (or not yet known) first, closed after
    recent: tuple[tuple[str, str], ...]    # (ticket, counter name), newest first
    services: tuple[ServiceRow, ...]
    missed: tuple[str, ...]
    offline: str | None               # badge text, None when the data is current
    running_text: str
    identify: str | None
    now: float
    page_seconds: float = 8.0
    ticket_sample: str = "A000"       # the widest ticket label the board can show

    @property
    def labels(self) -> dict:
        return LABELS[self.language]


def format_age(seconds: float, language: str) -> str:
    s, m, h = LABELS[language]["units"]
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} {s}"
    if seconds < 3600:
        return f"{seconds // 60} {m}"
    return f"{seconds // 3600} {h}"


def format_date(moment: datetime, language: str) -> str:
    """"Jumat, 28 November": no year, which nobody in a waiting room needs, so the board's
    title keeps its room in the header."""
    labels = LABELS[language]
    return f"{labels['days'][moment.weekday()]}, {moment.day} {labels['months'][moment.month - 1]}"


def build_view(model: BoardModel, now: float) -> View:
    board, site, lang = model.board, model.site, model.board.language
    labels = LABELS[lang]
    local = datetime.fromtimestamp(now, site.tz)
    counters = [counter_row(model, cid, lang) for cid in board.counters]
    counters.sort(key=lambda row: row.open is False)   # stable: open ones first, in TOML order
    services = []
    missed: list[str] = []
    for sid in board.services:
        state = model.services.get(sid)
        name = state.name if state and state.name else site.services[sid].name
        services.append(ServiceRow(name, state.waiting if state else None,
                                   status=service_status(state, lang) if state else None))
        if state and len(missed) < 200:
            missed.extend(state.missed)
    offline = None
    age = model.data_age(now)
    if model.offline and not model.ever_connected:
        offline = f"{labels['offline']} - {site.broker.host}:{site.broker.port}"
    elif age is not None:
        offline = (f"{labels['offline']} {format_age(age, lang)}" if model.last_message_at
                   else f"{labels['offline']} - {labels['no_data']}")
    current = model.current
    phase = int((now - model.current_since) / 0.5) % 2 == 0
    identify = None
    if now < model.identify_until:
        identify = (f"{labels['counter_display']} {model.counter}" if model.counter
                    else f"{labels['board']} {board.id}")
    return View(
        language=lang, title=board.title, date=format_date(local, lang),
        clock=local.strftime("%H:%M"),
        now_ticket=current.ticket if current else None,
        now_counter=shown_counter(model, current) if current else None,
        flash=model.flashing(now) and phase,
        counters=tuple(counters),
        recent=tuple((c.ticket, shown_counter(model, c)) for c in model.history),
        services=tuple(services), missed=tuple(missed), offline=offline,
        running_text=model.message_text or board.running_text, identify=identify, now=now,
        page_seconds=board.page_seconds, ticket_sample=ticket_sample(model))


def shown_counter(model: BoardModel, call) -> str:
    """The counter of a call as the board names it (the call's name, else the TOML's)."""
    return call_counter_label(model.site, call, model.board.language)


def counter_row(model: BoardModel, cid: str, language: str) -> CounterRow:
    site = model.site
    state = model.counters.get(cid)
    name = state.name if state and state.name else site.counters[cid].name
    if state is None:
        return CounterRow(counter_label(name, cid, language), None, None)
    until = None
    if not state.open and state.closed_until:
        until = datetime.fromtimestamp(state.closed_until, site.tz).strftime("%H:%M")
    return CounterRow(counter_label(name, cid, language), state.ticket, state.open,
                      note=state.closed_reason if not state.open else None, until=until)


def service_status(state, language: str) -> str | None:
    """The opening status text (``Istirahat sampai 13:00``) when the service is not open."""
    status = state.status
    if not isinstance(status, dict) or status.get("open", True) is not False:
        return None
    text = status.get("text")
    if isinstance(text, dict):
        text = text.get(language) or text.get("id") or text.get("en")
    return str(text) if text else LABELS[language]["closed_short"]


def ticket_sample(model: BoardModel) -> str:
    """The longest ticket label of the board's services (``4K-888``), for sizing cells."""
    services = model.site.services
    labels = [services[s].ticket(int("8" * services[s].width)) for s in model.board.services]
    return max(labels, key=len, default="A000")
