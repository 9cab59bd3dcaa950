"""Message schemas of the contract, as msgspec structs; encoding and decoding are pure.

    >>> decode_press(b'{"action": "next", "id": "c1-1"}').action
    <Action.NEXT: 'next'>

Decoding never raises anything but :class:`BadMessage`, whose text is fit for the error topic.
Wire structs are named for what travels (``PressRequest``, ``TakeRequest``); the domain's
commands (``ticketing.Press``, ``ticketing.Take``) are built from them by the queue service once
:mod:`mqtt.validate` has bounded every value.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from mqtt import validate
from ticketing.model import Action

MAX_PAYLOAD = 4096  # requests are tiny; anything larger is refused before parsing

RequestId = Annotated[str, msgspec.Meta(pattern=validate.REQUEST_ID.pattern)]
ShortText = Annotated[str, msgspec.Meta(max_length=400)]   # cleaned and capped after decoding


class BadMessage(ValueError):
    """A payload that is not a valid message; the text says why."""


class PressRequest(msgspec.Struct, forbid_unknown_fields=False):
    """A counter's press, as it travels on ``counter/<id>/press``."""
    action: Action
    id: RequestId
    ticket: ShortText | None = None
    to: ShortText | None = None
    expect: ShortText | None | msgspec.UnsetType = msgspec.UNSET
    ts: float | None = None
    until: float | None = None                      # close: reopen by itself at this time
    reason: ShortText | None = None                 # close: why ("Istirahat"), max 100 chars


class TakeRequest(msgspec.Struct, forbid_unknown_fields=False):
    """A kiosk's take, as it travels on ``kiosk/<id>/take``."""
    service: ShortText
    id: RequestId
    priority: bool = False


NikHash = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{32}$")]
Last4 = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}$")]
Day = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
Code = Annotated[str, msgspec.Meta(max_length=64)]   # cleaned by ticketing.booking.clean_code


class BookRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The web's booking, on ``booking/book``: never the NIK, only its HMAC and last 4 digits."""
    id: RequestId
    service: ShortText
    day: Day
    session: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{2}:[0-9]{2}-[0-9]{2}:[0-9]{2}$")]
    nik_hash: NikHash
    nik_last4: Last4
    phone: Annotated[str, msgspec.Meta(pattern=r"^\+?[0-9]{8,15}$")] | None = None


class CancelRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The web's cancellation, on ``booking/cancel``."""
    id: RequestId
    code: Code
    nik_last4: Last4


class CheckinRequest(msgspec.Struct, forbid_unknown_fields=False):
    """A kiosk's check-in, on ``kiosk/<id>/checkin`` (``nik_last4`` when the code was typed)."""
    code: Code
    id: RequestId
    nik_last4: Last4 | None = None


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
    # The ticket's key (ticketing.keys): printed in the slip's QR code, checked by the survey.
    key: str | None = None
    booking: str | None = None      # the booking code, when checked in from a booking


class Signup(msgspec.Struct, forbid_unknown_fields=False):
    """The ``signup`` of a service's retained booking slots (``signup_hours``): what the booking
    page reads to say when sign-up opens. A consumer drops one that does not fit."""
    hours: Annotated[str, msgspec.Meta(pattern=r"^[0-2][0-9]:[0-5][0-9]-[0-2][0-9]:[0-5][0-9]$")]
    open: bool
    until: Annotated[float, msgspec.Meta(ge=0, le=1e11)] | None = None


def signup_of(value) -> dict | None:
    """A slots message's ``signup`` as a bounded dict, or None for one absent or malformed."""
    try:
        return msgspec.to_builtins(msgspec.convert(value, Signup))
    except (msgspec.ValidationError, TypeError):
        return None


class Error(msgspec.Struct):
    error: str
    id: str | None = None
    code: str = "bad_request"
    ok: bool = False
    # The reason for visitors, in Indonesian and English (refused takes: hours, quota...)
    message: dict | None = None


def decode_booking(payload: bytes, kind: type):
    """A ``BookRequest``, ``CancelRequest`` or ``CheckinRequest``; raises BadMessage."""
    return _decode(msgspec.json.Decoder(kind), payload, kind.__name__)


_encoder = msgspec.json.Encoder()
_press = msgspec.json.Decoder(PressRequest)
_take = msgspec.json.Decoder(TakeRequest)


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
    return msg


def decode_press(payload: bytes) -> PressRequest:
    """A press with every value bounded (``until`` is checked against the clock by the
    service: :func:`mqtt.validate.until`)."""
    press = _decode(_press, payload, "press")
    try:
        if press.action == Action.CALL:
            press.ticket = validate.ticket_label(press.ticket)
        elif press.ticket is not None:
            press.ticket = None                      # only 'call' names a ticket
        if press.action == Action.TRANSFER:
            press.to = validate.service_id(press.to, "'transfer' needs 'to', which")
        if press.expect is not msgspec.UNSET and press.expect is not None:
            press.expect = validate.ticket_label(press.expect, "expect")
        if press.ts is not None:
            press.ts = validate.finite(press.ts, "ts")
        if press.until is not None:
            press.until = validate.finite(press.until, "until")
        press.reason = validate.optional_text(press.reason, validate.REASON_CHARS, "reason")
    except validate.Invalid as e:
        raise BadMessage(f"invalid press: {e}") from None
    return press


def decode_take(payload: bytes) -> TakeRequest:
    take = _decode(_take, payload, "take")
    try:
        take.service = validate.service_id(take.service)
    except validate.Invalid as e:
        raise BadMessage(f"invalid take: {e}") from None
    return take


def request_id_of(payload: bytes) -> str | None:
    """Best effort: the ``id`` of a payload that failed to decode, to echo it in the error."""
    try:
        value = msgspec.json.decode(payload[:MAX_PAYLOAD])
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return None
    rid = value.get("id") if isinstance(value, dict) else None
    return rid if isinstance(rid, str) and validate.REQUEST_ID.match(rid) else None


def decode_state(payload: bytes, kind: type):
    """Decode a retained state message (consumers: boards, panels, page)."""
    try:
        return msgspec.json.decode(payload, type=kind)
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError,
            RecursionError) as e:
        raise BadMessage(f"invalid {kind.__name__}: {e}") from None
