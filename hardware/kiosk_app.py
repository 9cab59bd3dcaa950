"""The kiosk process: broker, printer, store, and buttons, keys or a touch screen.

    app = KioskApp(site, kiosk_config(site, "k1"), keys=True, printer=MemoryPrinter())
    app.start()
    app.run()          # until app.stop(); a touch kiosk runs pygame on this thread

Subscriptions: ``ticket`` (answers, matched by take id), ``error/kiosk-<id>`` (refusals),
``reply/kiosk-<id>/take`` (the MQTT v5 reply to each take: the ticket or the refusal, whichever
copy comes first counts) and ``service/+/state`` (read-only: each service's opening status and
published standard, for the screen, the slip and refusing a closed service at once).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from typing import TextIO

import msgspec
import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from antrian import config as site_config
from antrian import sdnotify
from antrian.config import ConfigError, Site
from antrian.loop import Loop
from antrian.opening import booking_rules
from hardware.checkin import START_KEY, CheckinEntry, InvalidEntry, entry_keys
from hardware.config import KioskConfig, kiosk_config
from hardware.device import Device
from hardware.feedback import KIOSK_TEXT, Feedbacks, TerminalFeedback
from hardware.inputs import KeyReader
from hardware.kiosk import Kiosk
from hardware.kiosk_store import KioskStore
from hardware.printer import open_printer
from mqtt import schemas
from mqtt.client import Connection
from mqtt.consumer import BadMessages
from mqtt.maintenance import Maintenance

log = logging.getLogger(__name__)

PRIORITY_KEY = "*priority*"


class KioskApp(Device):
    """One kiosk.

    :param keys: keypad kiosk: 1-9 take a ticket for the first nine services; p = priority.
    :param touch: run the pygame touch screen (None: the TOML's ``touch``).
    :param printer: a printer object (tests); built from the spec otherwise.
    """

    def __init__(self, site: Site, cfg: KioskConfig, *, keys: bool = False,
                 touch: bool | None = None, printer=None, pin_factory=None,
                 out: TextIO | None = None, connection: Connection | None = None,
                 loop: Loop | None = None, screen_size: tuple[int, int] | None = None,
                 clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic):
        self.site = site
        self.cfg = cfg
        self.component = f"kiosk-{cfg.kiosk}"
        super().__init__(connection or Connection(site, self.component),
                         loop or Loop(monotonic=monotonic))
        topics = self.conn.topics
        self.take_topic = topics.kiosk_take(cfg.kiosk)
        self.error_topic = topics.error(self.component)
        self.ticket_topic = topics.ticket
        self.service_topic = topics.service_state()
        # MQTT v5 replies to this kiosk's takes (issue 12: under its own reply/ subtree).
        self.reply_topic = topics.reply(self.component, "take")
        self.conn.subscriptions += [self.ticket_topic, self.error_topic, self.service_topic,
                                    self.reply_topic]
        self._props = Properties(PacketTypes.PUBLISH)
        self._props.ResponseTopic = self.reply_topic
        self.conn.on_message = self._on_message
        self.conn.on_connect(lambda: self.loop.post(self.kiosk.connected))
        self.conn.on_disconnect(lambda: self.loop.post(self.kiosk.disconnected))

        if printer is None:
            if not cfg.printer:
                raise ConfigError(f"kiosk[{cfg.kiosk}].printer: missing (or give --printer)")
            printer = open_printer(cfg.printer, profile=cfg.printer_profile,
                                   where=f"kiosk[{cfg.kiosk}].printer")
        self.printer = printer
        self.touch = None
        if touch if touch is not None else cfg.touch:
            from hardware.touch import TouchScreen
            self.touch = TouchScreen(site, cfg, on_tap=self._touch_tap, size=screen_size,
                                     checkin=self.offers_checkin(site, cfg), dpi=cfg.dpi)
            # a QR scanner plugged into a touch kiosk types into its window (hardware.checkin)
            self.touch.on_key = lambda ch, t: self._entry_key(f"={ch.lower()}", t)
            # a code typed on its screen (hardware.touch_checkin): the same request as a keypad's
            self.touch.on_checkin = lambda code, last4, t: self.loop.post(self._check_in, code,
                                                                          last4, t)
        self.open_gpio(pins=dict(cfg.buttons), led=cfg.led, buzzer=cfg.buzzer,
                       on_action=lambda service, _a, t: self.kiosk.tap(service, t),
                       where=f"kiosk[{cfg.kiosk}]", can_do_without=bool(keys or self.touch),
                       pin_factory=pin_factory, bounce_time=cfg.bounce_time)
        term = TerminalFeedback(out, name=cfg.name, texts=KIOSK_TEXT) if keys else None
        self.feedback = Feedbacks(self.led, term, self.touch)
        self.store = KioskStore(cfg.store, cfg.kiosk)
        self.checkin_topic = topics.kiosk_checkin(cfg.kiosk)
        self.kiosk = self.core = Kiosk(site, cfg, self.store, printer, publish=self._publish,
                                       feedback=self.feedback, clock=clock, monotonic=monotonic,
                                       publish_checkin=self._checkin)
        self.bad = BadMessages(log)
        self.entry = CheckinEntry()
        self._priority_next = False
        self.overrides: dict = {}        # command-line settings a reload keeps
        if keys:
            self.keys = KeyReader(self.keymap(), on_key=self._key, help=self.keys_help())
        self.maint = Maintenance(self.conn, health=self.health, on_reload=self.reload)
        self.maint.command("identify")(
            lambda args: self.loop.call(self._identify, timeout=30))
        self._stop = threading.Event()

    @staticmethod
    def offers_checkin(site: Site, cfg: KioskConfig) -> bool:
        """Whether one of the kiosk's services takes bookings (its screen offers check-in)."""
        return bool(set(booking_rules(site)) & set(cfg.services))

    def keymap(self) -> dict[str, str]:
        """Keys 1-9: the kiosk's first nine services in the TOML's order; p: priority; b, then
        a booking code and the NIK's last 4 digits (or a scanned QR code): check-in."""
        keymap = {str(i + 1): sid for i, sid in enumerate(self.cfg.services[:9])}
        keymap["p"] = PRIORITY_KEY
        return {**keymap, **entry_keys(keymap)}

    def keys_help(self) -> str:
        lines = [f"  {i + 1} = {self.site.services[sid].name}"
                 for i, sid in enumerate(self.cfg.services[:9])]
        return ("Tekan nomor layanan (p lalu nomor = prioritas; b = lapor pemesanan):\n"
                + "\n".join(lines))

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        self.maint.start()
        self.conn.start()
        self.loop.post(self.kiosk.warm_up)
        if self.keys:
            print(self.keys_help(), flush=True)
            self.keys.start()

    def run(self) -> None:
        sdnotify.ready(f"kiosk {self.cfg.kiosk}")
        if self.touch is None:
            self.loop.run(deadline=self.deadline, tick=self.tick)
            return
        worker = threading.Thread(target=self.loop.run, name="kiosk-loop",
                                  kwargs={"deadline": self.deadline, "tick": self.tick},
                                  daemon=True)
        worker.start()
        try:
            self.touch.run(self._stop)
        finally:
            self.loop.stop()
            worker.join(10)

    def stop(self) -> None:
        self._stop.set()
        self.loop.stop()

    def close(self) -> None:
        self.close_io()
        self.printer.close()
        self.store.close()

    # -- loop work -------------------------------------------------------------------------------

    def _key(self, action: str) -> None:
        t = time.monotonic()          # when the key was read, not when the loop gets to it
        if self._entry_key(action, t):
            return
        if action == PRIORITY_KEY:
            self._priority_next = True
            print("Prioritas: tekan nomor layanan", flush=True)
            return
        priority, self._priority_next = self._priority_next, False
        self.loop.post(lambda: self.kiosk.tap(action, t, priority=priority))

    def _entry_key(self, action: str, t: float) -> bool:
        """Keys of a check-in being typed or scanned (hardware.checkin); True when consumed."""
        ch = action[1:] if action.startswith("=") else None
        if not self.entry.active or self.entry.expired(t):
            if ch is None or not (ch == START_KEY or self.entry.starts_scan(ch)):
                return False
            self.entry.start(t)
            if ch == START_KEY:
                print(self.entry.prompt, flush=True)
                return True
        if ch is None:     # a service or priority key typed inside a code: its character
            ch = {v: k for k, v in self.keymap().items()}.get(action, "")
        try:
            done = self.entry.feed(ch, t)
        except InvalidEntry as e:
            self.loop.post(self.feedback.signal, "refused", str(e))
            if self.touch:
                self.touch.entry_refused(str(e))
            return True
        if done is None:
            print(self.entry.prompt if self.entry.active else "Dibatalkan", flush=True)
        else:
            self.loop.post(self._check_in, *done, t)
        return True

    def _check_in(self, code: str, last4: str | None, t: float) -> None:
        """On the loop: send a check-in; a touch screen shows its answer, scanned or typed."""
        if self.touch:
            self.touch.checking_in(code, t)
        rid = self.kiosk.check_in(code, t, nik_last4=last4)
        if self.touch:
            self.touch.checkin_sent(rid)

    def _checkin(self, payload: bytes) -> bool:
        return self.conn.publish(self.checkin_topic, payload).rc == paho.MQTT_ERR_SUCCESS

    def _touch_tap(self, service: str, t: float, priority: bool) -> None:
        self.loop.post(lambda: self.kiosk.tap(service, t, priority=priority))

    def _publish(self, payload: bytes) -> bool:
        info = self.conn.publish(self.take_topic, payload, properties=self._props)
        return info.rc == paho.MQTT_ERR_SUCCESS

    def _on_message(self, topic: str, payload: bytes, message) -> None:
        self.loop.post(self._handle, topic, payload)

    def _handle(self, topic: str, payload: bytes) -> None:
        """One message, on the loop thread. Every message is untrusted: one the kiosk cannot
        use is logged once per topic and skipped; the kiosk keeps what it had."""
        try:
            if topic == self.ticket_topic or topic == self.reply_topic:
                event = msgspec.json.decode(payload)
                if not isinstance(event, dict):
                    raise schemas.BadMessage("a ticket event is a JSON object")
                if topic == self.reply_topic and event.get("ok") is False:
                    # a refusal answered on our reply topic: the same as on error/kiosk-<id>
                    self.kiosk.on_error(msgspec.convert(event, schemas.Error))
                else:
                    self.kiosk.on_ticket(event)
            elif topic == self.error_topic:
                self.kiosk.on_error(msgspec.json.decode(payload, type=schemas.Error))
            else:
                levels = self.conn.topics.parse(topic)
                if len(levels) == 3 and levels[0] == "service" and levels[2] == "state":
                    state = msgspec.json.decode(payload) if payload else None
                    if state is not None and not isinstance(state, dict):
                        raise schemas.BadMessage("a service state is a JSON object")
                    if self.kiosk.on_service_state(levels[1], state) and self.touch:
                        self.touch.set_services(self.kiosk.services)
        except (schemas.BadMessage, msgspec.DecodeError, msgspec.ValidationError,
                UnicodeDecodeError, RecursionError, ValueError, TypeError, KeyError,
                OverflowError) as e:
            self.bad.skip(topic, e)

    # -- maintenance -------------------------------------------------------------------------------

    def health(self) -> dict:
        return {**self.kiosk.health(), "bad_messages": self.bad.count,
                "broker_failures": self.conn.failures,
                "second_copy_suspected": self.conn.takeovers}

    def _identify(self) -> dict:
        self.feedback.identify(5.0)
        return self.kiosk.identify()

    def reload(self) -> dict:
        """Re-read the TOML: names, services, timings; the printer and pins need a restart."""
        site = site_config.load(self.site.path) if self.site.path else self.site
        # What the command line set (--printer, --store) stays as it was.
        new = dataclasses.replace(kiosk_config(site, self.cfg.kiosk), store=self.cfg.store,
                                  **self.overrides)

        def apply() -> dict:
            restart = [k for k in ("printer", "printer_profile", "buttons", "led", "buzzer",
                                   "touch") if getattr(new, k) != getattr(self.cfg, k)]
            kept = {k: getattr(self.cfg, k) for k in restart}
            self.cfg = dataclasses.replace(new, **kept)
            self.site = site
            self.kiosk.cfg = self.cfg
            self.kiosk.site = site
            if self.keys:
                self.keys.keymap.clear()
                self.keys.keymap.update(self.keymap())
                self.keys.help = self.keys_help()
            if self.touch:
                from hardware.touch import group_by_agency
                self.touch.site, self.touch.cfg = site, self.cfg
                self.touch.groups = group_by_agency(site, self.cfg.services)
                self.touch.offers_checkin = self.offers_checkin(site, self.cfg)
                self.touch.dpi = self.cfg.dpi          # keys resized at the next frame
                self.touch.set_services(self.kiosk.services)
                self.touch.show(self.kiosk.mode)       # redraws
            if restart:
                log.warning("reload: %s changed; restart the kiosk to apply", ", ".join(restart))
            return {"services": list(self.cfg.services), "restart_needed": restart}
        return self.loop.call(apply)


def run(args) -> int:
    """``antrian kiosk --config F --kiosk ID [--keys] [--touch] [--printer SPEC]``."""
    site = site_config.load(args.config)
    cfg = kiosk_config(site, args.kiosk)
    if args.printer:
        open_printer(args.printer, where="--printer")      # check it before anything starts
        cfg = dataclasses.replace(cfg, printer=args.printer)
    if args.store:
        cfg = dataclasses.replace(cfg, store=args.store)
    touch = True if args.touch else None
    if not (args.keys or cfg.buttons or (touch or cfg.touch)):
        raise ConfigError(f"kiosk[{cfg.kiosk}]: no way to take a ticket: give buttons, "
                          "touch = true, or run with --keys")
    app = KioskApp(site, cfg, keys=args.keys, touch=touch)
    if args.printer:
        app.overrides["printer"] = args.printer
    return app.serve()
