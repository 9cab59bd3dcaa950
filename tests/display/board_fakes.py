"""Contract-shaped messages and a publisher for the display tests (no queue service needed)."""

from __future__ import annotations

import threading
import time

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from mqtt.schemas import Call, CounterState, ServiceState, Serving, encode
from mqtt.topics import Topics
from support.waiting import wait_for

DAY = "2026-11-28"

BOARDS = """
[voice]
volume = 100

[[board]]
id = "lobby"
running_text = "Selamat datang di MPP Uji"

[[board]]
id = "capil"
agencies = ["Disdukcapil"]
layout = "portrait"
title = "Disdukcapil"

[[board]]
id = "en"
language = "en"
services = ["skck"]
flash_seconds = 1
"""


def service_state(sid: str, *, name: str = "Layanan", agency: str = "Disdukcapil",
                  prefix: str = "A", waiting: int = 0, missed=(), serving=(), seq: int = 1,
                  day: str = DAY, ts: float | None = None, status: dict | None = None
                  ) -> ServiceState:
    return ServiceState(
        service=sid, name=name, agency=agency, prefix=prefix, day=day, waiting=waiting,
        waiting_tickets=[f"{prefix}{100 + i:03d}" for i in range(waiting)], priority_waiting=0,
        last_issued=None, issued=waiting, serving=[Serving(t, c, time.time()) for t, c in serving],
        missed=list(missed), counters_open=[], done=0, est_wait_s=None, avg_service_s=300.0,
        seq=seq, ts=ts or time.time(), status=status)


def counter_state(cid: str, ticket: str | None, *, service: str | None = "ktp", open: bool = True,
                  seq: int = 1, since: float | None = None, name: str | None = None,
                  day: str = DAY, closed_until: float | None = None,
                  closed_reason: str | None = None) -> CounterState:
    return CounterState(counter=cid, name=name or f"Loket {cid}", open=open, ticket=ticket,
                        service=service if ticket else None,
                        since=(since or time.time()) if ticket else None, request=None,
                        services=[service or "ktp"], day=day, seq=seq, ts=time.time(),
                        closed_until=closed_until, closed_reason=closed_reason)


def call(ticket: str, counter: str, *, service: str = "ktp", seq: int = 2, kind: str = "call",
         ts: float | None = None) -> Call:
    return Call(ticket=ticket, service=service, counter=counter, counter_name=f"Loket {counter}",
                kind=kind, seq=seq, ts=time.time() if ts is None else ts)


class Publisher:
    """A plain paho client publishing contract messages to the test broker."""

    def __init__(self, port: int, site: str = "test"):
        self.topics = Topics(site)
        self.client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def send(self, topic: str, payload, *, retain: bool = False) -> None:
        data = payload if isinstance(payload, (bytes, str)) else encode(payload)
        self.client.publish(topic, data, qos=1, retain=retain).wait_for_publish(5)

    def service(self, state: ServiceState, retain: bool = True) -> None:
        self.send(self.topics.service_state(state.service), state, retain=retain)

    def counter(self, state: CounterState, retain: bool = True) -> None:
        self.send(self.topics.counter_state(state.counter), state, retain=retain)

    def call(self, c: Call) -> None:
        self.send(self.topics.call, c)

    def queue_presence(self, text: str) -> None:
        self.send(self.topics.lwt("queue"), text, retain=True)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


AGENCIES = ["Disdukcapil", "Kantor Imigrasi", "Samsat", "Polres", "BPJS Kesehatan",
            "BPJS Ketenagakerjaan", "KPP Pratama", "Bapenda", "Kantor Pertanahan",
            "Kementerian Agama", "DPMPTSP", "PDAM", "PLN", "Disnaker"]
NAMES = ["Perekaman KTP-el", "Kartu Keluarga", "Akta Kelahiran", "Paspor Baru",
         "Pajak Kendaraan Tahunan", "SKCK", "Pendaftaran dan Perubahan Data JKN",
         "Klaim JHT", "Pendaftaran NPWP", "Pajak Bumi dan Bangunan", "Layanan Sertifikat",
         "Pendaftaran Haji", "Nomor Induk Berusaha", "Sambungan Baru", "Kartu AK1"]


def big_site_toml(port: int, services: int = 145, counters: int = 50, boards: str = "") -> str:
    """A site as large as MPP Kota Bogor (145 services), with a lobby board for all of it."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = [f'site = "big"\ntitle = "Mal Pelayanan Publik Kota Bogor"\ntimezone = "Asia/Jakarta"\n'
           f'[broker]\nhost = "127.0.0.1"\nport = {port}\nkeepalive = 5\n']
    ids = []
    for i in range(services):
        sid = f"s{i:03d}"
        ids.append(sid)
        out.append(f'[[service]]\nid = "{sid}"\nprefix = "{letters[i // 26]}{letters[i % 26]}"\n'
                   f'name = "{NAMES[i % len(NAMES)]} {i}"\nagency = "{AGENCIES[i % len(AGENCIES)]}"\n')
    for c in range(counters):
        mine = [ids[j] for j in range(c % services, services, counters)][:4] or [ids[0]]
        out.append(f'[[counter]]\nid = "{c + 1}"\nservices = {mine!r}\n'.replace("'", '"'))
    out.append('[[kiosk]]\nid = "k1"\n')
    out.append(boards or '[[board]]\nid = "lobby"\nrunning_text = "Selamat datang di MPP Kota '
                         'Bogor. Siapkan KTP-el dan berkas Anda sebelum dipanggil."\n')
    return "\n".join(out)


class RunningBoard:
    """A :class:`display.board.Board` serving on its own thread (its owner thread: pygame lives
    there; SDL's dummy driver allows any one thread). The test reads the board through
    ``on_board``, which runs on that thread, so it never sees half a frame."""

    def __init__(self, board):
        self.board = board
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._serve, name="board", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            self.board.serve(signals=False)
        except BaseException as e:   # reported by close()
            self.error = e

    def __getattr__(self, name):
        return getattr(self.board, name)

    def on_board(self, fn, timeout: float = 5.0):
        return self.board.loop.call(fn, timeout=timeout)

    def close(self) -> None:
        self.board.stop()
        self.thread.join(15)
        assert not self.thread.is_alive(), "the board did not stop"
        assert self.error is None, self.error


def run_until(app, condition, timeout: float = 10.0, what: str = "the board"):
    """Wait until ``condition()``, evaluated on the board's own thread, is true."""
    return wait_for(lambda: app.on_board(condition), timeout, what)


def start_board(site, board_id: str = "lobby", *, size=(1280, 720), counter=None, **kw):
    """A board on SDL's dummy driver, serving on its own thread, connected and ready."""
    from display.board import Board
    from display.config import board_config, counter_display_config
    cfg = counter_display_config(site, counter) if counter else board_config(site, board_id)
    app = RunningBoard(Board(site, cfg, counter=counter, size=size, **kw))
    wait_for(lambda: app.ready or app.error, 15, "the board ready")
    assert app.error is None, app.error
    return app


class FakeConnection:
    """What a Board needs of ``mqtt.client.Connection``, without a broker (render tests)."""

    def __init__(self, site):
        self.site = site
        self.broker = site.broker
        self.topics = Topics(site.site)
        self.component = "fake"
        self.subscriptions: list[str] = []
        self.on_message = None
        self.connected = threading.Event()
        self.hooks: dict[str, list] = {"connect": [], "disconnect": []}

    def on_connect(self, hook):
        self.hooks["connect"].append(hook)

    def on_disconnect(self, hook):
        self.hooks["disconnect"].append(hook)

    def start(self, wait=None):
        return False

    def stop(self):
        pass

    def publish(self, *a, **kw):
        pass


def pixel_share(surface, rect, color, tol: int = 30) -> float:
    """The share of sampled pixels of ``rect`` that have ``color``."""
    x, y, w, h = rect
    hits = total = 0
    for px in range(x, x + w, 4):
        for py in range(y, y + h, 4):
            c = surface.get_at((px, py))
            total += 1
            hits += all(abs(c[i] - color[i]) <= tol for i in range(3))
    return hits / max(total, 1)
