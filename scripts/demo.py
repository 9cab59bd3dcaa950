"""`make demo`: the whole system on one machine, with simulated visitors and counter staff.

A private Mosquitto on a free port (the machine's own broker is left alone), the real queue
service, a board — in a window when there is a screen, otherwise writing screenshots — the
visitors' page (its URL printed), and a stream of takes and presses through the broker, printed
as they happen.

    .venv/bin/python scripts/demo.py [--seconds N] [--rate 1.5] [--no-board] [--web-port 8080]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import paho.mqtt.client as paho  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from antrian import config  # noqa: E402
from antrian.devbroker import Mosquitto, free_port  # noqa: E402

OUT = ROOT / "var" / "demo"
ANTRIAN = [sys.executable, "-m", "antrian"]
DEMO_BOARD = """
[[board]]
id = "demo"
title = "Mal Pelayanan Publik Kota Bogor"
agencies = ["Disdukcapil", "Kantor Imigrasi", "Samsat", "Polres"]
running_text = "Selamat datang di MPP Kota Bogor. Siapkan KTP-el dan dokumen asli Anda."
"""


def always_open(toml_text: str) -> str:
    """The example without its [opening] tables, so a demo on a Sunday evening still issues
    tickets (a site without opening rules is open at all hours)."""
    kept, skipping = [], False
    for line in toml_text.splitlines(keepends=True):
        if line.startswith("["):
            skipping = line.startswith("[opening")
        if not skipping:
            kept.append(line)
    return "".join(kept)


def has_screen() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main() -> int:
    args = parse_args()
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    broker = Mosquitto(OUT).start()
    site_file = write_site(broker.port)
    site = config.load(site_file)
    print(f"broker: Mosquitto on 127.0.0.1:{broker.port} (log {broker.log})")
    procs = start_roles(site, site_file, args)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        simulate(site, broker.port, args, stop)
    except KeyboardInterrupt:
        pass
    finally:
        print("\nstopping…")
        shut_down(procs)
        broker.stop()
    print(f"logs and screenshots in {OUT}")
    return 0


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("DEMO_SECONDS", 0)),
                    help="stop after this long (default: run until Ctrl-C)")
    ap.add_argument("--rate", type=float, default=1.5, help="simulated actions per second")
    ap.add_argument("--no-board", action="store_true")
    ap.add_argument("--web-port", type=int, default=0,
                    help="the visitors' page's port (default: a free one)")
    return ap.parse_args()


def write_site(port: int) -> Path:
    """The example site on the demo's broker, always open, printing to files, with a board."""
    site_text = (ROOT / "examples" / "mpp.toml").read_text(encoding="utf-8")
    site_text = site_text.replace("port = 1883", f"port = {port}", 1)
    site_text = always_open(site_text)
    site_text = site_text.replace('printer = "file:var/', f'printer = "file:{OUT}/')
    site_file = OUT / "site.toml"
    site_file.write_text(site_text + DEMO_BOARD, encoding="utf-8")
    return site_file


def start_roles(site: config.Site, site_file: Path,
                args: argparse.Namespace) -> list[subprocess.Popen]:
    """The queue service, the board (unless --no-board) and the visitors' page, each logging to
    a file under OUT."""
    procs: list[subprocess.Popen] = []
    procs.append(subprocess.Popen([*ANTRIAN, "serve", "--config", str(site_file),
                                   "--db", str(OUT / "queue.db")], cwd=ROOT,
                                  stderr=(OUT / "serve.log").open("w")))
    print(f"queue service: {len(site.services)} services, {len(site.counters)} counters "
          f"(log {OUT / 'serve.log'})")
    if not args.no_board:
        procs.append(start_board(site_file))
    web_port = args.web_port or free_port()
    procs.append(subprocess.Popen([*ANTRIAN, "web", "--config", str(site_file), "--host",
                                   "127.0.0.1", "--port", str(web_port), "--survey-db",
                                   str(OUT / "survey.db"), "--db", str(OUT / "queue.db")],
                                  cwd=ROOT, stderr=(OUT / "web.log").open("w")))
    print(f"visitors' page: http://127.0.0.1:{web_port}/  (log {OUT / 'web.log'})")
    return procs


def start_board(site_file: Path) -> subprocess.Popen:
    """The demo board: in a window when there is a screen, else writing screenshots; with a
    voice when espeak-ng is installed."""
    board = [*ANTRIAN, "display", "--config", str(site_file), "--board", "demo"]
    if shutil.which("espeak-ng"):
        # A voice pack from espeak-ng's Indonesian voice (a second), so calls are announced.
        voice = OUT / "voice"
        subprocess.run([*ANTRIAN, "voice", "build", "--out", str(voice), "--config",
                        str(site_file)], cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=(OUT / "voice.log").open("w"))
        board += ["--voice", str(voice)]
    env = dict(os.environ)
    if has_screen():
        board += ["--size", "1280x720"]
        print("board: in a window")
    else:
        env["SDL_VIDEODRIVER"] = "dummy"
        env.setdefault("SDL_AUDIODRIVER", "dummy")
        board += ["--size", "1920x1080", "--screenshot", str(OUT / "board.png"),
                  "--screenshot-every", "3"]
        print(f"board: no screen here, so it writes {OUT / 'board.png'} every 3 s")
    return subprocess.Popen(board, cwd=ROOT, env=env, stderr=(OUT / "board.log").open("w"))


def shut_down(procs: list[subprocess.Popen]) -> None:
    """Terminate the roles, the last started first; kill any not gone within 10 s."""
    for p in reversed(procs):
        p.terminate()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


def simulate(site: config.Site, port: int, args: argparse.Namespace, stop: threading.Event) -> None:
    """Visitors take tickets at the kiosk; staff at a few counters press next, recall, skip."""
    base = f"antrian/{site.site}"
    lines: list[str] = []

    def on_message(c, u, m):
        try:
            body = json.loads(m.payload)
        except ValueError:
            return
        kind = m.topic.rsplit("/", 1)[-1]
        if m.topic == f"{base}/ticket":
            lines.append(f"  kiosk  {body['ticket']:>7}  {site.services[body['service']].name}"
                         f"{' (prioritas)' if body['priority'] else ''}"
                         f" — {body['ahead']} menunggu di depan")
        elif m.topic == f"{base}/call":
            verb = "CALL  " if body["kind"] == "call" else "RECALL"
            lines.append(f"  {verb} {body['ticket']:>7}  → {body['counter_name']}")
        elif "/error/" in m.topic:
            lines.append(f"  error  {kind}: {body.get('error')}")

    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"demo-{uuid.uuid4().hex[:6]}",
                         protocol=paho.MQTTv5)
    client.on_message = on_message
    client.on_connect = lambda c, u, f, rc, p: c.subscribe(
        [(f"{base}/ticket", 1), (f"{base}/call", 1), (f"{base}/error/#", 1)])
    client.connect("127.0.0.1", port)
    client.loop_start()
    time.sleep(1.5)  # the queue service connects and publishes its state
    rng = random.Random(7)
    kiosk = next(iter(site.kiosks.values()))
    busy = ["ktp", "kk", "paspor-baru", "pkb", "skck"]
    counters = [c for c in site.counters.values() if set(c.services) & set(busy)][:8]
    end = time.monotonic() + args.seconds if args.seconds else None
    n = 0
    print("simulating visitors and counter staff (Ctrl-C stops)…")
    while not stop.is_set() and (end is None or time.monotonic() < end):
        n += 1
        r = rng.random()
        if r < 0.55:
            service = rng.choice(busy) if rng.random() < 0.8 else rng.choice(kiosk.services)
            client.publish(f"{base}/kiosk/{kiosk.id}/take",
                           json.dumps({"service": service, "id": f"demo-{n}",
                                       "priority": rng.random() < 0.08}), qos=1)
        else:
            counter = rng.choice(counters)
            action = rng.choices(["next", "recall", "skip"], [0.8, 0.12, 0.08])[0]
            client.publish(f"{base}/counter/{counter.id}/press",
                           json.dumps({"action": action, "id": f"demo-{n}"}), qos=1)
        time.sleep(rng.expovariate(args.rate))
        while lines:
            print(lines.pop(0), flush=True)
    client.loop_stop()
    client.disconnect()


if __name__ == "__main__":
    sys.exit(main())
