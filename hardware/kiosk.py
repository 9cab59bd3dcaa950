"""The kiosk's logic: a tap takes one ticket over MQTT and prints it, or says clearly why not.

    kiosk = Kiosk(site, cfg, store, printer, publish=conn_publish, feedback=screen)
    kiosk.connected()
    kiosk.tap("ktp", t=time.monotonic())    # printer checked, take published, kiosk busy
    kiosk.on_ticket(event)                  # recorded, printed, ready again after a cool-down

Rules (all on the kiosk's loop thread):

- One ticket at a time. A tap made while a ticket is being taken or printed, or within
  ``cooldown_s`` after, is ignored: taps carry the time they were made, so taps that queued up
  behind a slow printer cannot issue tickets afterwards.
- The printer is asked before taking (when it answers status requests): paper out or unplugged
  means no ticket is taken, and the screen says why.
- A ticket issued but not printed stays in the store as pending and is printed as soon as the
  printer can (checked every ``retry_s``), before any new ticket is taken.
- A take is resent with the same id until answered (the service is idempotent); after
  ``take_timeout_s`` the visitor is told to try again.
- The services' retained state (``on_service_state``) gives each its opening status and
  published standard: a tap on a closed service is refused at once with the reason ("Kuota
  habis (80 nomor)", "Istirahat sampai 13:00"), and the slip prints the fee and the target time.
  A take the queue refuses shows its reason (``message``: ``id`` and ``en``).
- What visitors read is :class:`hardware.said.Said`: Indonesian, with the English for a touch
  screen's language button; an LED or a terminal takes it as the plain Indonesian string.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from antrian.config import Site
from hardware.config import KioskConfig
from hardware.kiosk_printing import KioskPrinting
from hardware.kiosk_store import KioskStore
from hardware.said import Said, from_message
from hardware.printer import OK
from mqtt import schemas
from mqtt.consumer import clean_text

log = logging.getLogger(__name__)

BUSY = Said("Mohon tunggu, tiket sedang diproses", "Please wait, a ticket is being processed")
NOT_CONNECTED = Said("Maaf, sistem antrean sedang tidak terhubung. Mohon hubungi petugas.",
                     "Sorry, the queue system is not connected. Please ask a staff member.")
UNANSWERED = Said("Maaf, nomor antrean gagal diambil. Silakan coba lagi.",
                  "Sorry, no queue number came. Please try again.")
CLOSED = Said("layanan sedang tutup", "the service is closed now")


class Kiosk(KioskPrinting):
    """One ticket kiosk.

    :param publish: ``publish(payload) -> bool`` for ``kiosk/<id>/take``.
    :param feedback: ``show(mode)`` (``steady``, ``busy``, ``fault``, ``offline``) and
        ``signal(kind, text)`` (``ack``, ``refused``, ``info``): LED, terminal or touch screen.

    The printer side (status, printing, reprints, identify) is :class:`KioskPrinting`.
    """

    def __init__(self, site: Site, cfg: KioskConfig, store: KioskStore, printer, *,
                 publish: Callable[[bytes], bool], feedback, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic, resend_s: float = 2.0,
                 retry_s: float = 5.0, status_every_s: float = 30.0,
                 publish_checkin: Callable[[bytes], bool] | None = None):
        self.site = site
        self.cfg = cfg
        self.kiosk = cfg.kiosk
        self.store = store
        self.printer = printer
        self.publish = publish
        self.publish_checkin = publish_checkin   # kiosk/<id>/checkin (hardware.checkin)
        self.feedback = feedback
        self.clock = clock
        self.monotonic = monotonic
        self.resend_s = resend_s
        self.retry_s = retry_s
        self.status_every_s = status_every_s
        self.paper_mm = cfg.paper_mm
        self.online = False
        self.asking: dict | None = None         # {"id", "service", "priority", "sent", "started"}
        self.ready_at = -math.inf               # taps made before this (monotonic) are ignored
        self.printer_status = OK
        self._next_retry = -math.inf
        self._next_status = -math.inf
        self.printed = store.count_printed()
        self.refused = self.abandoned = self.late = self.closed_taps = 0
        # service id -> {"status": ..., "standard": ...} from its retained state
        self.services: dict[str, dict] = {}
        self._pending = len(store.pending())
        self._mode: str | None = None
        self._show()

    # -- inputs ------------------------------------------------------------------------------------

    def tap(self, service: str, t: float | None = None, *, priority: bool = False) -> str | None:
        """A visitor chose ``service`` at monotonic time ``t``; returns the take id, or None."""
        t = self.monotonic() if t is None else t
        if self.asking is not None or t < self.ready_at:
            if self.asking is not None:
                self.feedback.signal("info", BUSY)
            log.debug("tap on %s ignored: the kiosk is busy", service)
            return None
        if service not in self.cfg.services:
            log.error("tap on %r: not a service of kiosk %s", service, self.kiosk)
            return None
        if not self.online:
            self._refuse(NOT_CONNECTED)
            return None
        reason = self.closed_reason(service)
        if reason is not None:
            # The queue would refuse it too; saying so now spares the visitor the round trip.
            self.closed_taps += 1
            name = self._service_name(service)
            self._refuse(Said(f"Maaf, {name}: {reason}", f"Sorry, {name}: {reason.en}"))
            return None
        self.check_printer(announce=False)
        if self._pending:
            self.retry_reprints()
        if self.printer_status != OK or self._pending:
            self._refuse(self._printer_problem_text())
            return None
        rid = self.store.new_take(service, priority=priority, ts=self.clock())
        now = self.monotonic()
        self.asking = {"id": rid, "service": service, "priority": priority, "sent": None,
                       "started": now}
        log.info("take %s for %s%s", rid, service, " (priority)" if priority else "")
        name = self._service_name(service)
        self.feedback.signal("info", Said(f"Mengambil nomor antrean {name}...",
                                          f"Taking a queue number for {name}..."))
        self._send_take()
        self._show()
        return rid

    def check_in(self, code: str, t: float | None = None, *,
                 nik_last4: str | None = None) -> str | None:
        """A booked visitor checks in (hardware.checkin): answered like a take, printed alike."""
        t = self.monotonic() if t is None else t
        if self.asking is not None or t < self.ready_at or self.publish_checkin is None:
            return None
        if not self.online:
            self._refuse(NOT_CONNECTED)
            return None
        self.check_printer(announce=False)
        if self.printer_status != OK or self._pending:
            self._refuse(self._printer_problem_text())
            return None
        rid = self.store.new_take("booking", priority=False, ts=self.clock())
        self.asking = {"id": rid, "service": "booking", "priority": False, "sent": None,
                       "started": self.monotonic(), "code": code, "nik_last4": nik_last4}
        log.info("check-in %s", rid)
        self.feedback.signal("info", Said("Memeriksa kode pemesanan...",
                                          "Checking the booking code..."))
        self._send_take()
        self._show()
        return rid

    def connected(self) -> None:
        self.online = True
        if self.asking is None:
            self._resume_asked()
        if self.asking is not None:
            self.asking["sent"] = None
            self._send_take()
        self._show()

    def disconnected(self) -> None:
        self.online = False
        self._show()

    def on_ticket(self, event: dict) -> None:
        rid = event.get("id")
        if not isinstance(rid, str) or event.get("kiosk") not in (None, self.kiosk):
            return
        take = self.store.take(rid)
        if take is None:
            return
        state = take[3]
        if state == "abandoned":
            # The visitor was told to try again; a ticket still came (see docs: cancel).
            self.late += 1
            self.store.set_take(rid, "late")
            log.warning("ticket %s for take %s came after the kiosk gave up on it; not printed "
                        "(nobody is waiting for it)", event.get("ticket"), rid)
            return
        if state != "asked":
            return                            # an answer to a resend: already handled
        if not self._valid_ticket(event):
            log.error("ignoring a malformed ticket event for %s: %s", rid,
                      clean_text(repr(event), 300))
            return
        self.store.issued(rid, event, ts=self.clock())
        self._pending += 1
        if self.asking is not None and self.asking["id"] == rid:
            self.asking = None
        log.info("ticket %s issued for take %s (%s ahead)", event["ticket"], rid, event["ahead"])
        self._print(rid, event, reprint=False)
        self.ready_at = self.monotonic() + self.cfg.cooldown_s
        self._show()

    def on_error(self, error: schemas.Error) -> None:
        if self.asking is None or error.id != self.asking["id"]:
            # Only our own takes concern us: `antrian take` and other clients may ask on this
            # kiosk's topic, and their refusals are not this kiosk's trouble.
            take = self.store.take(error.id) if isinstance(error.id, str) else None
            # A second copy (error topic and reply topic) of a refusal already handled is quiet.
            ours = take is not None and take[3] == "asked"
            log.log(logging.WARNING if ours else logging.DEBUG,
                    "service error for kiosk %s (id %s%s): %s", self.kiosk,
                    clean_text(error.id, 64), "" if ours else ", not one of ours",
                    clean_text(error.error, 200))
            return
        rid = self.asking["id"]
        self.store.set_take(rid, "refused")
        self.refused += 1
        log.warning("take %s refused: %s (%s)", rid, error.error, error.code)
        self.asking = None
        self.ready_at = self.monotonic() + self.cfg.cooldown_s
        # The queue's reason for visitors (hours, quota...), when it gives one
        said = from_message(error.message, error.error)
        text, en = clean_text(said, 200), clean_text(said.en, 200)
        self._refuse(Said(f"Maaf, nomor antrean tidak dapat diambil: {text}",
                          f"Sorry, no queue number could be taken: {en}"))
        self._show()

    # -- the services' retained state ---------------------------------------------------------------

    def on_service_state(self, sid: str, state: dict | None) -> bool:
        """Fold in ``service/<sid>/state`` (None: cleared); returns whether the status or the
        standard of one of this kiosk's services changed (the screen redraws then)."""
        if sid not in self.cfg.services:
            return False
        if state is None:
            return self.services.pop(sid, None) is not None
        status, standard = state.get("status"), state.get("standard")
        info = {"status": status if isinstance(status, dict) else None,
                "standard": standard if isinstance(standard, dict) else None}
        if self.services.get(sid) == info:
            return False
        self.services[sid] = info
        return True

    def closed_reason(self, sid: str) -> Said | None:
        """Why ``sid`` takes no tickets now, or None when it is open."""
        status = (self.services.get(sid) or {}).get("status")
        if not status or status.get("open") is not False:
            return None
        said = from_message(status.get("text"), "")
        text, en = clean_text(said, 120), clean_text(said.en, 120)
        return Said(text, en or text) if text else CLOSED

    def standard(self, sid: str) -> dict | None:
        return (self.services.get(sid) or {}).get("standard")

    def tick(self) -> None:
        now = self.monotonic()
        if self.asking is not None:
            if now - self.asking["started"] >= self.cfg.take_timeout_s:
                rid = self.asking["id"]
                self.store.set_take(rid, "abandoned")
                self.abandoned += 1
                log.warning("take %s unanswered after %.0f s; the visitor is asked to try again",
                            rid, self.cfg.take_timeout_s)
                self.asking = None
                self.ready_at = now + self.cfg.cooldown_s
                self._refuse(UNANSWERED)
            elif self.asking["sent"] is None or now - self.asking["sent"] >= self.resend_s:
                self._send_take()
        if self._pending and now >= self._next_retry and self.asking is None:
            self.retry_reprints()
        elif now >= self._next_status and self.asking is None:
            self.check_printer()
        self._show()

    def next_deadline(self) -> float | None:
        times = []
        if self.asking is not None:
            times.append(self.asking["started"] + self.cfg.take_timeout_s)
            if self.asking["sent"] is not None:
                times.append(self.asking["sent"] + self.resend_s)
        if self._pending:
            times.append(self._next_retry)
        times.append(self._next_status)
        return min(times)

    # -- figures -----------------------------------------------------------------------------------

    def health(self) -> dict:
        return {
            "printer": self.printer_status,
            "printer_name": self.printer.name,
            "paper_low": bool(getattr(self.printer, "paper_low", False)),
            "tickets_printed": self.printed,
            "pending_reprints": self._pending,
            "takes_refused": self.refused,
            "takes_abandoned": self.abandoned,
            "late_tickets": self.late,
            "closed_taps": self.closed_taps,
            "busy": self.asking is not None,
            "mode": self._mode,
        }

    @property
    def mode(self) -> str:
        if not self.online:
            return "offline"
        if self.printer_status != OK or self._pending:
            return "fault"
        return "busy" if self.asking is not None else "steady"

    # -- inside ------------------------------------------------------------------------------------

    def _service_name(self, sid: str) -> str:
        s = self.site.services.get(sid)
        return s.name if s else sid

    def _refuse(self, text: str) -> None:
        self.feedback.signal("refused", text)

    def _send_take(self) -> None:
        if self.asking is None or not self.online:
            return
        if "code" in self.asking:                     # a check-in (hardware.checkin)
            body = {"code": self.asking["code"], "id": self.asking["id"]}
            if self.asking["nik_last4"]:
                body["nik_last4"] = self.asking["nik_last4"]
            if self.publish_checkin is not None and self.publish_checkin(schemas.encode(body)):
                self.asking["sent"] = self.monotonic()
            return
        payload = {"service": self.asking["service"], "id": self.asking["id"]}
        if self.asking["priority"]:
            payload["priority"] = True
        if self.publish(schemas.encode(payload)):
            self.asking["sent"] = self.monotonic()

    def _resume_asked(self) -> None:
        """After a restart: ask again for a take the visitor may still stand at; older ones are
        given up (the service answers a repeated id with the ticket it already issued)."""
        for rid, service, priority, ts in self.store.asked():
            if service == "booking":     # a check-in: its code was not kept; the visitor retries
                self.store.set_take(rid, "abandoned")
                self.abandoned += 1
            elif self.clock() - ts < self.cfg.take_timeout_s and self.asking is None:
                self.asking = {"id": rid, "service": service, "priority": priority, "sent": None,
                               "started": self.monotonic()}
                log.info("asking again for take %s (%s) after a restart", rid, service)
            else:
                self.store.set_take(rid, "abandoned")
                self.abandoned += 1

    def _show(self) -> None:
        mode = self.mode
        if mode != self._mode:
            self._mode = mode
            self.feedback.show(mode)
