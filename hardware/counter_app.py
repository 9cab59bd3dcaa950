"""The counter panel process: wires the broker, GPIO or keys, the outbox and the maintenance face.

    app = PanelApp(site, panel_config(site, "1"), pin_factory=MockFactory())
    app.start()                        # connects in the background
    threading.Thread(target=app.run).start()
    ...
    app.stop(); app.close()

Subscriptions: the counter's retained state (acknowledgements, the ticket to ``expect``), its
error topic (refusals), and ``reply/counter-<id>/press`` for MQTT v5 replies to presses.

Every message is untrusted: one the panel cannot use is logged once (per topic) and skipped,
and the panel keeps its last good state.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from typing import TextIO

import msgspec
import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from antrian import config as site_config
from antrian import sdnotify
from antrian.config import Site
from antrian.loop import Loop
from hardware.config import PanelConfig, panel_config
from hardware.device import Device
from hardware.feedback import Feedbacks, TerminalFeedback
from hardware.gesture import TOGGLE
from hardware.inputs import PANEL_KEYS, KeyReader, Switches
from hardware.outbox import Outbox
from hardware.panel import CounterPanel
from mqtt import schemas
from mqtt.client import Connection
from mqtt.consumer import BadMessages
from mqtt.maintenance import CommandError, Maintenance
from ticketing.model import Action

log = logging.getLogger(__name__)

IDENTIFY_S = 5.0
KEYS_HELP = ("tombol: n/1/+ = berikutnya, r/2/* = panggil ulang, s/3/- = lewati, "
             "c/0// = tutup/buka loket")


class PanelApp(Device):
    """One counter panel.

    :param keys: read the terminal too (``--keys``), printing feedback there.
    :param pin_factory: gpiozero's pin factory (None: from the environment).
    :param connection: a ready :class:`Connection` (tests); built from the site otherwise.
    """

    def __init__(self, site: Site, cfg: PanelConfig, *, keys: bool = False, pin_factory=None,
                 out: TextIO | None = None, connection: Connection | None = None,
                 loop: Loop | None = None, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic):
        self.site = site
        self.cfg = cfg
        self.counter = cfg.counter
        self.component = f"counter-{cfg.counter}"
        super().__init__(connection or Connection(site, self.component),
                         loop or Loop(monotonic=monotonic))
        topics = self.conn.topics
        self.reply_topic = topics.reply(self.component, "press")
        self.state_topic = topics.counter_state(self.counter)
        self.error_topic = topics.error(self.component)
        self.press_topic = topics.counter_press(self.counter)
        self.conn.subscriptions += [self.state_topic, self.error_topic, self.reply_topic]
        self.conn.on_message = self._on_message
        self.conn.on_connect(lambda: self.loop.post(self.panel.connected))
        self.conn.on_disconnect(lambda: self.loop.post(self.panel.disconnected))
        self._props = Properties(PacketTypes.PUBLISH)
        self._props.ResponseTopic = self.reply_topic

        pins = dict(cfg.pins)
        if cfg.button is not None:
            pins = {Switches.ONE: cfg.button}
        self.open_gpio(pins=pins, led=cfg.led, buzzer=cfg.buzzer, on_action=self._switch_action,
                       where=f"panel[{cfg.counter}]", can_do_without=keys,
                       pin_factory=pin_factory, bounce_time=cfg.bounce_time,
                       hold_time=cfg.hold_time, double_press_s=cfg.double_press_s,
                       monotonic=monotonic)
        term = TerminalFeedback(out, name=site.counters[cfg.counter].name) if keys else None
        self.feedback = Feedbacks(self.led, term)
        self.outbox = Outbox(cfg.outbox, f"c{cfg.counter}")
        self.panel = self.core = CounterPanel(
            cfg.counter, self.outbox, publish=self._publish, feedback=self.feedback, clock=clock,
            monotonic=monotonic, max_press_age_s=cfg.max_press_age_s, resend_s=cfg.resend_s)
        self.keys = (KeyReader(PANEL_KEYS, on_key=lambda a: self.loop.post(self.panel.press, a),
                               help=KEYS_HELP) if keys else None)
        self.bad = BadMessages(log)
        self.maint = Maintenance(self.conn, health=self.health, on_reload=self.reload)
        self.maint.command("identify")(self.identify)
        log.info("counter %s panel: %s, outbox %s", self.counter,
                 "one button" if cfg.one_button else f"buttons {sorted(cfg.pins)}"
                 if cfg.pins else "no buttons", cfg.outbox)

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        self.maint.start()
        self.conn.start()
        if self.keys:
            self.keys.start()
            print(KEYS_HELP, flush=True)

    def run(self) -> None:
        sdnotify.ready(f"counter {self.counter}")
        self.loop.run(deadline=self.deadline, tick=self.tick)

    def stop(self) -> None:
        self.loop.stop()

    def close(self) -> None:
        self.close_io()
        self.outbox.close()

    # -- loop work -------------------------------------------------------------------------------

    def _switch_action(self, name: str, action: str, t: float) -> None:
        self.panel.press(TOGGLE if action == Action.CLOSE else action)

    def _publish(self, payload: bytes) -> bool:
        info = self.conn.publish(self.press_topic, payload, properties=self._props)
        return info.rc == paho.MQTT_ERR_SUCCESS

    def _on_message(self, topic: str, payload: bytes, message) -> None:
        # paho's thread: hand off only.
        self.loop.post(self._handle, topic, payload, bool(getattr(message, "retain", False)))

    def _handle(self, topic: str, payload: bytes, retained: bool) -> None:
        try:
            if topic == self.state_topic:
                if payload:
                    self.panel.on_state(schemas.decode_state(payload, schemas.CounterState),
                                        retained=retained)
            elif topic == self.error_topic:
                self.panel.on_error(msgspec.json.decode(payload, type=schemas.Error))
            elif topic == self.reply_topic:
                reply = msgspec.json.decode(payload)
                if not isinstance(reply, dict):
                    raise schemas.BadMessage("a reply is a JSON object")
                self.panel.on_reply(reply)
        except (schemas.BadMessage, msgspec.DecodeError, msgspec.ValidationError,
                UnicodeDecodeError, RecursionError, ValueError, TypeError) as e:
            self.bad.skip(topic, e)

    # -- maintenance -------------------------------------------------------------------------------

    def health(self) -> dict:
        return {**self.panel.health(), "bad_messages": self.bad.count,
                "broker_failures": self.conn.failures,
                "second_copy_suspected": self.conn.takeovers}

    def identify(self, args: dict) -> dict:
        """Blink the panel's LED in its identify pattern for a few seconds ({"seconds": 5})."""
        seconds = args.get("seconds", IDENTIFY_S)
        if not isinstance(seconds, (int, float)) or not 0 < seconds <= 60:
            raise CommandError("seconds must be a number in 0..60")
        self.loop.call(self.feedback.identify, float(seconds))
        return {"identify_s": seconds, "led": self.cfg.led, "buzzer": self.cfg.buzzer}

    def reload(self) -> dict:
        """Re-read the TOML: timings apply at once; pins and the outbox need a restart."""
        site = site_config.load(self.site.path) if self.site.path else self.site
        # The outbox file may come from --outbox; it never changes under a running panel.
        new = dataclasses.replace(panel_config(site, self.counter, keys_only=self.keys is not None),
                                  outbox=self.cfg.outbox)

        def apply() -> dict:
            restart = [f.name for f in dataclasses.fields(PanelConfig)
                       if f.name in ("pins", "button", "led", "buzzer")
                       and getattr(new, f.name) != getattr(self.cfg, f.name)]
            self.panel.max_press_age_s = new.max_press_age_s
            self.panel.resend_s = new.resend_s
            if self.switches:
                self.switches.configure(bounce_time=new.bounce_time, hold_time=new.hold_time,
                                        double_press_s=new.double_press_s)
            self.cfg = dataclasses.replace(new, **{k: getattr(self.cfg, k) for k in restart})
            if restart:
                log.warning("reload: %s changed; restart the panel to apply", ", ".join(restart))
            return {"applied": ["hold_time", "double_press_s", "bounce_time", "max_press_age_s",
                                "resend_s"], "restart_needed": restart}
        return self.loop.call(apply)


def run(args) -> int:
    """``antrian counter --config F --counter ID [--keys]``."""
    site = site_config.load(args.config)
    cfg = panel_config(site, args.counter, keys_only=args.keys)
    if args.outbox:
        cfg = dataclasses.replace(cfg, outbox=args.outbox)
    return PanelApp(site, cfg, keys=args.keys).serve()
