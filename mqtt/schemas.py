"""Message schemas of the contract, as msgspec structs; encoding and decoding are pure.

    >>> decode_press(b'{"action": "next", "id": "c1-1"}').action
    'next'

Decoding never raises anything but :class:`BadMessage`, whose text is fit for the error topic.
"""

from __future__ import annotations

from typing import Literal

import msgspec

MAX_PAYLOAD = 4096  # requests are tiny; anything larger is refused before parsing

Action = Literal["next", "recall", "skip", "call", "transfer", "open", "close"]
RequestId = msgspec.Meta(min_length=1, max_length=64)


class BadMessage(ValueError):
    """A payload that is not a valid message; the text says why."""


class Press(msgspec.Struct, forbid_unknown_fields=False):
    action: Action
    id: str
    ticket: str | None = None
    to: str | None = None
    expect: str | None | msgspec.UnsetType = msgspec.UNSET
    ts: float | None = None
    until: float | None = None                      # close: reopen by itself at this time
    reason: str | None = None                       # close: why ("Istirahat"), max 100 chars


class Take(msgspec.Struct, forbid_unknown_fields=False):
    service: str
    id: str
    priority: bool = False


class Serving(msgspec.Struct):
    ticket: str
    counter: str
    since: float


class ServiceState(msgspec.Struct):
    service: str
    name: str
    agency: str
    prefix: str
    day: str
    waiting: int
    waiting_tickets: list[str]
    priority_waiting: int
    last_issued: str | None
    issued: int
    serving: list[Serving]
    missed: list[str]
    counters_open: list[str]
    done: int
    est_wait_s: float | None
    avg_service_s: float
    seq: int
    ts: float
    # Opening rules (issue 8): {"open", "code", "text": {"id", "en"}, "until"}; and the
    # published service standard {"requirements", "fee", "duration_minutes"} when configured.
    status: dict | None = None
    standard: dict | None = None


class CounterState(msgspec.Struct):
    counter: str
    name: str
    open: bool
    ticket: str | None
    service: str | None
    since: float | None
    request: str | None
    services: list[str]
    day: str
    seq: int
    ts: float
    closed_until: float | None = None
    closed_reason: str | None = None


class Call(msgspec.Struct):
    ticket: str
    service: str
    counter: str
    counter_name: str
    kind: Literal["call", "recall"]
    seq: int
    ts: float


class TicketIssued(msgspec.Struct):
    ticket: str
    service: str
    kiosk: str
    id: str
    priority: bool
    ahead: int
    day: str
    issued_at: float
    est_wait_s: float | None
    seq: int
    ts: float


class Error(msgspec.Struct):
    error: str
    id: str | None = None
    code: str = "bad_request"
    ok: bool = False
    # The reason for visitors, in Indonesian and English (refused takes: hours, quota...)
    message: dict | None = None


_encoder = msgspec.json.Encoder()
_press = msgspec.json.Decoder(Press)
_take = msgspec.json.Decoder(Take)


def encode(msg: object) -> bytes:
    return _encoder.encode(msg)


def _decode(decoder: msgspec.json.Decoder, payload: bytes, what: str):
    if len(payload) > MAX_PAYLOAD:
        raise BadMessage(f"{what} too large ({len(payload)} bytes, at most {MAX_PAYLOAD})")
    try:
        # msgspec checks UTF-8 only in the strings it keeps (and then raises UnicodeDecodeError,
        # not a DecodeError): check the whole payload, as the contract says UTF-8 JSON
        payload.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadMessage(f"{what} is not UTF-8: {e.reason} at byte {e.start}") from None
    try:
        msg = decoder.decode(payload)
    except msgspec.ValidationError as e:
        raise BadMessage(f"invalid {what}: {e}") from None
    except msgspec.DecodeError as e:
        raise BadMessage(f"{what} is not JSON: {e}") from None
    except RecursionError:
        # 4 KiB of "[[[[..." is enough to exhaust the C stack guard; refuse, do not crash
        raise BadMessage(f"{what} is nested too deeply") from None
    if not 1 <= len(msg.id) <= 64:
        raise BadMessage(f"invalid {what}: id must be 1-64 characters")
    return msg


def decode_press(payload: bytes) -> Press:
    press = _decode(_press, payload, "press")
    if press.action == "call" and not press.ticket:
        raise BadMessage("invalid press: 'call' needs a 'ticket'")
    if press.action == "transfer" and not press.to:
        raise BadMessage("invalid press: 'transfer' needs 'to' (a service id)")
    if press.reason is not None and len(press.reason) > 100:
        raise BadMessage("invalid press: 'reason' is longer than 100 characters")
    return press


def decode_take(payload: bytes) -> Take:
    return _decode(_take, payload, "take")


def request_id_of(payload: bytes) -> str | None:
    """Best effort: the ``id`` of a payload that failed to decode, to echo it in the error."""
    try:
        value = msgspec.json.decode(payload[:MAX_PAYLOAD])
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return None
    rid = value.get("id") if isinstance(value, dict) else None
    return rid if isinstance(rid, str) and len(rid) <= 64 else None


def decode_state(payload: bytes, kind: type):
    """Decode a retained state message (consumers: boards, panels, page)."""
    try:
        return msgspec.json.decode(payload, type=kind)
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError,
            RecursionError) as e:
        raise BadMessage(f"invalid {kind.__name__}: {e}") from None
