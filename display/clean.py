"""The board's trust edge: every state a message brings is made showable here, once.

    state = clean_counter(decode_state(payload, CounterState))   # None: refused (logged)
    clean_text("Loket\\x00 3\\u202e")                              # 'Loket 3'

A message that decodes (msgspec has checked the types) can still hold values nothing can draw:
times like 1e300, NaN or -5, counts of 10**30, NUL, control, format and bidi characters,
unpaired surrogates, or a 50 kB name. The model takes only what comes out of these functions, so
the view and the layout never meet such a value and need no checks of their own:

- text: control (Cc), format (Cf: bidi overrides, zero-width), private-use, surrogate and
  unassigned characters are dropped, any run of spaces and line breaks becomes one space, and the
  result is cut to a bound per field (tickets 16, names 120, status texts 160);
- times: a finite number between 2000 and 2100 (seconds since the epoch), else None;
- counts: clamped to 0..99,999;
- a state whose day or seq is not a real day or a 53-bit seq is refused as a whole.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata

import msgspec

from mqtt.schemas import Call, CounterState, ServiceState

log = logging.getLogger(__name__)

TICKET_CHARS = 16
NAME_CHARS = 120
STATUS_CHARS = 160
LIST_ITEMS = 200          # missed tickets kept per service
MAX_COUNT = 99_999
EARLIEST, LATEST = 946_684_800.0, 4_102_444_800.0    # 2000-01-01 .. 2100-01-01 UTC
MAX_SEQ = 2**53
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DROP = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}


class Refused(ValueError):
    """A state the board cannot show at all; the text says why."""


def clean_text(value: object, limit: int = NAME_CHARS) -> str:
    """Printable text of at most ``limit`` characters (anything not a str becomes "")."""
    if not isinstance(value, str):
        return ""
    value = value[:limit * 4]     # bound the work before looking at each character
    kept = "".join(" " if ch.isspace() else ch for ch in value
                   if ch.isspace() or unicodedata.category(ch) not in _DROP)
    return " ".join(kept.split())[:limit].rstrip()


def clean_time(value: object) -> float | None:
    """Seconds since the epoch, when it is a finite moment of this century; else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) and EARLIEST <= value <= LATEST else None


def clean_count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return max(0, min(MAX_COUNT, value))


def check_stamp(day: object, seq: object) -> None:
    """Refuse a state whose (day, seq) the freshness rule cannot compare."""
    if not isinstance(day, str) or not _DAY.match(day):
        raise Refused(f"day {str(day)[:20]!r} is not YYYY-MM-DD")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= MAX_SEQ:
        raise Refused(f"seq {str(seq)[:20]!r} is not 0..2**53")


def _status(status: object) -> dict | None:
    """Only what the board reads of a service's opening status: open, and its text."""
    if not isinstance(status, dict):
        return None
    text = status.get("text")
    if isinstance(text, dict):
        text = {k: clean_text(text.get(k), STATUS_CHARS) for k in ("id", "en")}
    else:
        text = clean_text(text, STATUS_CHARS)
    return {"open": status.get("open", True) is not False, "text": text}


def clean_service(state: ServiceState) -> ServiceState:
    check_stamp(state.day, state.seq)
    missed = [t for t in (clean_text(x, TICKET_CHARS) for x in state.missed[:LIST_ITEMS]) if t]
    return msgspec.structs.replace(
        state, service=clean_text(state.service, NAME_CHARS), name=clean_text(state.name),
        waiting=clean_count(state.waiting), missed=missed, waiting_tickets=[],
        status=_status(state.status), ts=clean_time(state.ts) or 0.0)


def clean_counter(state: CounterState) -> CounterState:
    check_stamp(state.day, state.seq)
    ticket = clean_text(state.ticket, TICKET_CHARS) or None
    return msgspec.structs.replace(
        state, counter=clean_text(state.counter, NAME_CHARS), name=clean_text(state.name),
        ticket=ticket, service=clean_text(state.service, NAME_CHARS) or None,
        since=clean_time(state.since), closed_until=clean_time(state.closed_until),
        closed_reason=clean_text(state.closed_reason, NAME_CHARS) or None,
        ts=clean_time(state.ts) or 0.0)


def clean_call(call: Call) -> Call:
    """A call needs a real moment (its age decides whether it is announced) and a ticket."""
    check_stamp("2000-01-01", call.seq)
    ts = clean_time(call.ts)
    ticket = clean_text(call.ticket, TICKET_CHARS)
    if ts is None:
        raise Refused(f"call time {str(call.ts)[:30]!r} is not a moment of this century")
    if not ticket:
        raise Refused("call has no showable ticket")
    return msgspec.structs.replace(
        call, ticket=ticket, service=clean_text(call.service, NAME_CHARS),
        counter=clean_text(call.counter, NAME_CHARS), counter_name=clean_text(call.counter_name),
        ts=ts)


class RecentCalls(msgspec.Struct):
    """``antrian/<site>/calls/recent``: the calls of the day, newest first (at most 12)."""
    day: str
    seq: int
    calls: list[Call]


RECENT_MAX = 12
_recent = msgspec.json.Decoder(RecentCalls)


def decode_recent(payload: bytes) -> RecentCalls:
    """Decode and clean a recent-calls message; raises :class:`Refused` with the reason."""
    if len(payload) > 64 * 1024:
        raise Refused(f"recent calls too large ({len(payload)} bytes)")
    try:
        msg = _recent.decode(payload)
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError,
            RecursionError) as e:
        raise Refused(f"invalid recent calls: {str(e)[:200]}") from None
    check_stamp(msg.day, msg.seq)
    calls = []
    for call in msg.calls[:RECENT_MAX]:
        try:
            calls.append(clean_call(call))
        except Refused:
            continue      # one bad entry does not cost the others
    return RecentCalls(msg.day, msg.seq, calls)
