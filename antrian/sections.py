"""The one registry of the site TOML's tables and keys, checked as a whole when a site is loaded.

    unknown_key({"site": "bogor", "boards": []})
    # -> "unknown table 'boards' (did you mean 'board'? known: board, broker, counter, ...)"

Every role reads the same site file, and a board must refuse a misspelt ``[[panel]]`` key as
surely as the counter that owns it: so every table any role reads is declared here, once, and
:func:`antrian.config.load` checks the whole file before any role reads a value. A misspelt key
(``prefx``) is then reported as unknown, never as a missing ``prefix``.

A role that adds a key adds it to its section below (and documents it in its docs/ page); its own
parser only reads values. Sections are data only: this module imports nothing of the project but
the domain's vocabulary, so the lowest layer can check what the highest one reads.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from ticketing.booking import BOOKING_KEYS
from ticketing.model import Action


@dataclass(frozen=True)
class Section:
    """One table of the site TOML and the keys it may hold.

    ``array``: an array of tables (``[[board]]``), each named in errors by its ``label`` key
    (``board[lobby]``). ``tables``: keys that hold a table with keys of their own.
    ``named``: keys that hold a table of freely named tables (``[opening.agency."Polres"]``),
    each checked as the given section. ``free``: keys whose table has free-form keys (a kiosk's
    ``buttons``, one per service), checked by their role.
    """
    name: str
    keys: frozenset[str]
    array: bool = False
    label: str = "id"
    tables: dict[str, "Section"] = field(default_factory=dict)
    named: dict[str, "Section"] = field(default_factory=dict)
    free: frozenset[str] = frozenset()

    @property
    def known(self) -> frozenset[str]:
        return self.keys | set(self.tables) | set(self.named) | self.free


def section(name: str, keys: set[str] | tuple[str, ...], **kw: Any) -> Section:
    return Section(name, frozenset(keys), **kw)


# -- the registry: every table, grouped by the module that reads it -----------------------------

# antrian/config.py: the common part every role reads.
ROOT_KEYS = frozenset({"site", "title", "timezone", "reset_at", "public_url"})
BROKER = section("broker", {"host", "port", "username", "password", "tls", "ca_file", "keepalive",
                            "secrets", "console_port"})
# antrian/opening.py: opening hours, at site, agency and service level.
OPENING_DAY_KEYS = frozenset({"days", "last_ticket_minutes", "national_holidays", "closed_dates",
                              "open_dates"})
OPENING = section("opening", OPENING_DAY_KEYS,
                  named={"agency": section("opening.agency", OPENING_DAY_KEYS)})
# antrian/opening.py booking_rules: online booking (issue 15), at site, agency and service level.
BOOKING = section("booking", BOOKING_KEYS, named={"agency": section("booking.agency", BOOKING_KEYS)})
STANDARD = section("standard", {"requirements", "fee", "duration_minutes"})
SERVICE = section("service", {"id", "prefix", "name", "agency", "separator", "width",
                              "average_minutes", "quota"}, array=True,
                  tables={"opening": section("opening", OPENING_DAY_KEYS), "standard": STANDARD,
                          "booking": section("booking", BOOKING_KEYS)})
COUNTER = section("counter", {"id", "name", "services"}, array=True)
# hardware/config.py: kiosks (the common loader reads id, name, services, printer) and panels.
KIOSK = section("kiosk", {"id", "name", "services", "printer", "printer_profile", "led", "buzzer",
                          "touch", "fullscreen", "ticket_url", "store", "take_timeout_s",
                          "bounce_time", "cooldown_s", "paper_mm", "dpi"}, array=True,
                free=frozenset({"buttons"}))
# The actions a panel has a button for (a pin key each), from the one list of actions.
PANEL_ACTIONS = tuple(str(a) for a in (Action.NEXT, Action.RECALL, Action.SKIP, Action.CLOSE))
PANEL = section("panel", {"counter", "button", "led", "buzzer", "hold_time", "double_press_s",
                          "bounce_time", "max_press_age_s", "resend_s", "outbox", *PANEL_ACTIONS},
                array=True, label="counter")
# display/config.py: boards and their voice.
BOARD = section("board", {"id", "title", "services", "agencies", "layout", "language",
                          "running_text", "rotate", "page_seconds", "flash_seconds", "voice",
                          "volume"}, array=True)
VOICE = section("voice", {"enabled", "dir", "volume", "gap_ms"})
# web/settings.py: the visitors' page and the managers' pages.
WEB = section("web", {"host", "port", "max_streams", "managers", "survey", "survey_per_minute",
                      "session_hours",
                      # the network edge (issue 12, web/settings.py edge_settings)
                      "trusted_proxies", "hsts_seconds", "max_streams_per_address",
                      "header_timeout"})
# web/settings.py NotifySettings: near-turn alerts by Web Push and by text (docs/web.md).
NOTIFY = section("notify", {"vapid_key", "vapid_subject", "gateway_url", "gateway_command",
                            "gateway_token_file", "gateway_form", "gateway_phone_field",
                            "gateway_text_field", "gateway_per_minute", "per_minute",
                            "test_push_origins"})
# mqtt/maintenance.py: the maintenance face of every role.
MAINTENANCE = section("maintenance", {"health_interval"})
# the queue service's edge (issue 12): the recall cooldown and each sender's rate limit.
QUEUE = section("queue", {"recall_cooldown_s", "rate_per_s", "burst"})

SECTIONS: dict[str, Section] = {s.name: s for s in (
    BROKER, OPENING, BOOKING, SERVICE, COUNTER, KIOSK, PANEL, BOARD, VOICE, WEB, NOTIFY, MAINTENANCE, QUEUE)}


# -- the check ----------------------------------------------------------------------------------

def unknown_key(raw: dict) -> str | None:
    """The first unknown table or key of a decoded site TOML, as an error message; None if all
    are known. Types and values are the parsers' business: only names are checked here."""
    known = ROOT_KEYS | set(SECTIONS)
    for key in raw:
        if key not in known:
            kind = "table" if isinstance(raw[key], (dict, list)) else "key"
            return _unknown(key, known, "", kind)
    for name, sec in SECTIONS.items():
        value = raw.get(name)
        if sec.array and isinstance(value, dict):
            value = [value]
        if sec.array and isinstance(value, list):
            for i, table in enumerate(value):
                if isinstance(table, dict):
                    label = table.get(sec.label)
                    where = f"{name}[{label if isinstance(label, (str, int)) else i}]"
                    if found := _check(table, sec, where):
                        return found
        elif not sec.array and isinstance(value, dict):
            if found := _check(value, sec, name):
                return found
    return None


def _check(table: dict, sec: Section, where: str) -> str | None:
    for key in table:
        if key not in sec.known:
            return _unknown(key, sec.known, where, "key")
    for key, sub in sec.tables.items():
        value = table.get(key)
        if isinstance(value, dict) and (found := _check(value, sub, f"{where}.{key}")):
            return found
    for key, sub in sec.named.items():
        value = table.get(key)
        if isinstance(value, dict):
            for name, inner in value.items():
                if isinstance(inner, dict) and (found := _check(inner, sub,
                                                                 f"{where}.{key}.{name}")):
                    return found
    return None


def _unknown(key: str, known: frozenset[str] | set[str], where: str, kind: str) -> str:
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.75)
    hint = f"did you mean {close[0]!r}? " if close else ""
    head = f"{where}: " if where else ""
    return f"{head}unknown {kind} {key!r} ({hint}known: {', '.join(sorted(known))})"
