"""The counter panel's logic: presses through the outbox, acknowledgements, LED modes. No I/O.

    panel = CounterPanel("1", Outbox(":memory:", "c1"), publish=sent.append, feedback=feedback)
    panel.connected()
    panel.press("next")                 # stored, then published: {"action": "next", "id": ...}
    panel.on_state(state)               # state.request == that id: acknowledged, LED steady

Presses leave one at a time, in order: the next one is published only when the queue service
has answered the one before (its retained counter state echoes the id, or it refused it on the
error topic). That keeps the order across broker restarts, lets a chained press expect the
outcome of the press before it, and makes resending safe (the service is idempotent on ids).

Everything runs on one thread (the panel loop); ``publish`` only hands bytes to the MQTT client.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from hardware.gesture import TOGGLE
from hardware.outbox import BROKEN, CHAIN, UNSET, Expect, Outbox, Pending
from mqtt import schemas
from mqtt.consumer import TICKET_LABEL, clean_text, plausible_stamp, supersedes
from ticketing.model import Action

log = logging.getLogger(__name__)

# The queue actions a panel sends: the ones that need no argument (``call`` names a ticket,
# ``transfer`` a service: a console's work, not a button's).
PANEL_ACTIONS = tuple(a for a in Action if a not in (Action.CALL, Action.TRANSFER))
# ``toggle`` (hardware.gesture.TOGGLE) is a panel gesture, not a queue action: the close button
# toggles, and the panel sends ``close`` or ``open`` from what it predicts the counter will be.
ACTIONS = (*PANEL_ACTIONS, TOGGLE)
# Shown on the staff's terminal (the staff reads Indonesian).
ACTION_WORDS = {Action.NEXT: "berikutnya", Action.RECALL: "panggil ulang", Action.SKIP: "lewati",
                Action.OPEN: "buka loket", Action.CLOSE: "tutup loket",
                Action.CALL: "panggil", Action.TRANSFER: "alihkan"}


class Feedback(Protocol):
    """Where the panel shows itself: an LED and buzzer, or the terminal."""

    def show(self, mode: str) -> None:
        """``steady`` (open, all answered), ``off`` (closed), ``pending`` (a press in flight),
        ``offline`` (no broker)."""

    def signal(self, kind: str, text: str) -> None:
        """A one-off event: ``ack``, ``refused``, ``dropped``, ``info``."""


class CounterPanel:
    """One counter's panel.

    :param counter: the counter id.
    :param outbox: where presses wait for their answer.
    :param publish: ``publish(payload) -> bool``; False when the client is not connected (the
        press stays in the outbox and is sent at the next connect).
    :param feedback: LED/buzzer or terminal.
    :param clock: wall clock (press ``ts``, ages); ``monotonic``: latencies and resend timers.
    :param max_press_age_s: presses older than this are dropped, never sent.
    :param resend_s: resend the press in flight when unanswered this long while connected.
    """

    def __init__(self, counter: str, outbox: Outbox, *, publish: Callable[[bytes], bool],
                 feedback: Feedback, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic, max_press_age_s: float = 120.0,
                 resend_s: float = 2.0):
        self.counter = counter
        self.outbox = outbox
        self.publish = publish
        self.feedback = feedback
        self.clock = clock
        self.monotonic = monotonic
        self.max_press_age_s = max_press_age_s
        self.resend_s = resend_s
        self.online = False
        self.state: schemas.CounterState | None = None
        self._in_flight: tuple[str, float] | None = None      # (id, monotonic time sent)
        self._pressed_at: dict[str, float] = {}                # id -> monotonic time pressed
        self._mode: str | None = None
        self._pending = outbox.pending()
        self.acked = self.refused = self.dropped = 0
        self.last_ack_latency_ms: float | None = None
        self._show()

    # -- inputs --------------------------------------------------------------------------------

    def press(self, action: str) -> Pending | None:
        """A staff press: stored first, then published when nothing is in flight."""
        if action not in ACTIONS:
            log.error("unknown panel action %r", action)
            return None
        if action == TOGGLE:
            action = Action.CLOSE if self._predicted_open() else Action.OPEN
        action = Action(action).value
        if self._pending:
            expect = CHAIN
        elif self.state is not None:
            expect = Expect.known(self.state.ticket)
        else:
            # Never heard from the service since start: nothing to guard against yet.
            expect = UNSET
        now = self.monotonic()
        item = self.outbox.add(action, expect=expect, ts=self.clock())
        self._pending.append(item)
        self._pressed_at[item.id] = now
        log.info("press %s %s (expect %s)", item.id, action, _expect_text(expect))
        self._advance()
        self._show()
        return item

    def connected(self) -> None:
        self.online = True
        self._in_flight = None          # whatever was in flight is resent now
        self._advance()
        self._show()

    def disconnected(self) -> None:
        self.online = False
        self._in_flight = None
        self._show()

    def on_state(self, state: schemas.CounterState, *, retained: bool = False) -> None:
        """The counter's retained state: the acknowledgement when ``request`` is our press.

        ``retained``: delivered from the broker's store at (re)subscribe; it is the current truth
        even with a lower ``seq`` (a queue service started on a fresh database).
        """
        if state.counter != self.counter:
            return
        problem = implausible(state)
        if problem:
            raise ValueError(f"counter state: {problem}")
        head = self._pending[0] if self._pending else None
        echoes_head = head is not None and state.request == head.id
        held = (self.state.day, self.state.seq) if self.state is not None else None
        # The echo of the press in flight is fresh by construction: it answers what we just sent.
        if not echoes_head and not supersedes(held, state.day, state.seq, retained=retained):
            log.debug("dropping older counter state %s/%s (holding %s)", state.day, state.seq,
                      held)
            return
        self.state = state
        if echoes_head:
            self._finish(head, Expect.known(state.ticket), "ack",
                         f"{ACTION_WORDS.get(head.action, head.action)}: "
                         f"{clean_text(state.ticket, 20) or 'tidak ada antrean'}")
            self._advance()
        self._show()

    def on_error(self, error: schemas.Error) -> None:
        """A refusal on ``error/counter-<id>``: the press is done (nothing changed)."""
        head = self._pending[0] if self._pending else None
        if head is None or error.id != head.id:
            # `antrian press` and consoles may press for this counter too: their refusals are
            # not this panel's trouble (its own ids begin with c<counter>-).
            ours = isinstance(error.id, str) and error.id.startswith(self.outbox.ids.prefix + "-")
            log.log(logging.WARNING if ours else logging.DEBUG,
                    "service error for counter %s (id %s%s): %s", self.counter,
                    clean_text(error.id, 64), "" if ours else ", not one of ours",
                    clean_text(error.error, 200))
            return
        # A refused press changed nothing: the next press meets what this one expected, unless
        # this one was stale, which means the panel's belief was wrong (drop the chain).
        chain = BROKEN if error.code == "stale" else self._resolve(head)
        self._finish(head, chain, "refused",
                     f"{ACTION_WORDS.get(head.action, head.action)} ditolak: "
                     f"{clean_text(error.error, 120)}")
        self._advance()
        self._show()

    def on_reply(self, reply: dict) -> None:
        """An MQTT v5 reply ``{"ok", "id", "data"}`` to a press: a second acknowledgement path,
        for when the retained state already moved past our id before we saw it."""
        head = self._pending[0] if self._pending else None
        if head is None or reply.get("id") != head.id:
            return
        if reply.get("ok"):
            data = reply.get("data") if isinstance(reply.get("data"), dict) else {}
            ticket = data.get("ticket") if "ticket" in data else (
                self.state.ticket if self.state else None)
            if ticket is not None and not (isinstance(ticket, str) and TICKET_LABEL.match(ticket)):
                raise ValueError(f"reply to {head.id}: ticket {clean_text(repr(ticket), 40)} is "
                                 "not a ticket label")
            self._finish(head, Expect.known(ticket), "ack",
                         f"{ACTION_WORDS.get(head.action, head.action)}: "
                         f"{clean_text(ticket, 20) or 'tidak ada antrean'}")
            self._advance()
        else:
            self.on_error(schemas.Error(error=clean_text(reply.get("error", "refused"), 200),
                                        id=head.id,
                                        code=clean_text(reply.get("code", "bad_request"), 40)))
            return
        self._show()

    def tick(self) -> None:
        """Run now and then: resend an unanswered press, drop presses that grew too old."""
        if self._in_flight and self.monotonic() - self._in_flight[1] >= self.resend_s:
            log.info("no answer to %s after %.1f s; resending", self._in_flight[0], self.resend_s)
            self._in_flight = None
        self._advance()
        self._show()

    def next_deadline(self) -> float | None:
        """Monotonic time at which :meth:`tick` has work (resend or age limit), or None."""
        times = []
        if self._in_flight:
            times.append(self._in_flight[1] + self.resend_s)
        if self._pending:
            age = self.clock() - self._pending[0].ts
            times.append(self.monotonic() + max(0.0, self.max_press_age_s - age))
        return min(times) if times else None

    # -- figures -------------------------------------------------------------------------------

    def health(self) -> dict:
        """Figures for the maintenance face; read from its thread, so on a copy of the list."""
        pending = list(self._pending)
        oldest = pending[0].ts if pending else None
        return {
            "outbox_depth": len(pending),
            "oldest_pending_age_s": round(self.clock() - oldest, 1) if oldest else None,
            "last_ack_latency_ms": (round(self.last_ack_latency_ms, 2)
                                    if self.last_ack_latency_ms is not None else None),
            "presses_acked": self.acked, "presses_refused": self.refused,
            "presses_dropped": self.dropped,
            "counter_open": self.state.open if self.state else None,
            "ticket": self.state.ticket if self.state else None,
            "mode": self._mode,
        }

    @property
    def mode(self) -> str:
        if not self.online:
            return "offline"
        if self._pending:
            return "pending"
        return "steady" if self.state is not None and self.state.open else "off"

    # -- inside ---------------------------------------------------------------------------------

    def _predicted_open(self) -> bool:
        """Whether the counter will be open once every pending press is applied."""
        is_open = self.state.open if self.state is not None else False
        for p in self._pending:
            if p.action in (Action.CLOSE, Action.OPEN, Action.NEXT, Action.SKIP):
                is_open = p.action != Action.CLOSE     # next and skip open a closed counter
        return is_open

    def _resolve(self, item: Pending) -> Expect:
        return self.outbox.chain() if item.expect.mode == "chain" else item.expect

    def _finish(self, item: Pending, chain: Expect, kind: str, text: str) -> None:
        pressed = self._pressed_at.pop(item.id, None)
        if kind == "ack":
            self.acked += 1
            now = self.monotonic()
            self.last_ack_latency_ms = ((now - pressed) if pressed is not None
                                        else max(0.0, self.clock() - item.ts)) * 1000
            log.info("press %s %s acknowledged in %.1f ms (ticket %s)", item.id, item.action,
                     self.last_ack_latency_ms, clean_text(chain.ticket, 20))
        elif kind == "refused":
            self.refused += 1
            log.warning("press %s %s refused: %s", item.id, item.action, text)
        else:
            self.dropped += 1
        self._pending.pop(0)
        self._in_flight = None
        # The feedback first: on a Pi the SD card commit below may take several milliseconds.
        self.feedback.signal(kind, text)
        self._show()
        self.outbox.done(item.id, chain=chain)

    def _advance(self) -> None:
        """Publish the head of the outbox unless it is already in flight; drop what is void."""
        while self._pending:
            head = self._pending[0]
            age = self.clock() - head.ts
            if age > self.max_press_age_s:
                log.warning("dropping press %s %s made %.0f s ago (older than max_press_age_s="
                            "%g): it would act on a queue that has moved on", head.id, head.action,
                            age, self.max_press_age_s)
                self._finish(head, BROKEN, "dropped",
                             f"{ACTION_WORDS.get(head.action, head.action)} dibatalkan: "
                             f"ditekan {age:.0f} detik lalu")
                continue
            expect = self._resolve(head)
            if expect.mode == "broken":
                log.warning("dropping press %s %s: the press before it was refused as stale or "
                            "dropped, so this one was made on a wrong belief", head.id, head.action)
                self._finish(head, BROKEN, "dropped",
                             f"{ACTION_WORDS.get(head.action, head.action)} dibatalkan: "
                             "tekanan sebelumnya ditolak")
                continue
            if self._in_flight is not None or not self.online:
                return
            payload: dict = {"action": head.action, "id": head.id, "ts": head.ts}
            if expect.mode == "known":
                payload["expect"] = expect.ticket
            if head.ticket:
                payload["ticket"] = head.ticket
            if head.to:
                payload["to"] = head.to
            if self.publish(schemas.encode(payload)):
                self._in_flight = (head.id, self.monotonic())
            return

    def _show(self) -> None:
        mode = self.mode
        if mode != self._mode:
            self._mode = mode
            self.feedback.show(mode)


def implausible(state: schemas.CounterState) -> str | None:
    """Why a decoded counter state cannot be the queue's (None when it can): the panel would
    otherwise hold it, expect its ticket in the next press and be refused as stale."""
    if not plausible_stamp(state.day, state.seq):
        return f"stamp {clean_text(state.day, 20)!r}/{state.seq} is not a service day and seq"
    if state.ticket is not None and not TICKET_LABEL.match(state.ticket):
        return f"ticket {clean_text(state.ticket, 30)!r} is not a ticket label"
    if state.request is not None and (len(state.request) > 64 or not state.request.isprintable()):
        return "request is not a request id"
    return None


def _expect_text(expect: Expect) -> str:
    return {"known": repr(expect.ticket), "chain": "outcome of the press before",
            "unset": "nothing (no state yet)"}.get(expect.mode, expect.mode)
