"""The biggest legitimate MQTT message: a board's `screenshot` reply, at 1080p and 4K.

    .venv/bin/python bench/screenshot_size.py

Renders the example site's busiest board (every service, 50 counters, long names, a running
text) with the real renderer on SDL's dummy driver, takes the maintenance reply exactly as the
board sends it (PNG, base64, JSON), and prints its size. mqtt/broker_config.py's max_packet_size
is set from these figures. Deterministic: the machine's load does not change the sizes.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "display")]

from antrian.config import load  # noqa: E402
from display.config import board_config  # noqa: E402
from mqtt.schemas import encode  # noqa: E402

from board_fakes import counter_state, service_state  # noqa: E402


def reply_size(size: tuple[int, int]) -> tuple[int, int]:
    from display.app import BoardApp
    site = load(ROOT / "examples" / "mpp.toml")
    app = BoardApp(site, board_config(site, "lobby"), size=size)
    app.open_screen()
    now = time.time()
    day = datetime.now(site.tz).date().isoformat()
    t = app.conn.topics
    for i, svc in enumerate(site.services.values()):
        state = service_state(svc.id, name=svc.name + " dan Perubahan Data Kependudukan",
                              agency=svc.agency, prefix=svc.prefix, waiting=40 + i,
                              missed=[f"{svc.prefix}{n:03d}" for n in range(1, 9)], seq=5, day=day)
        app.handle_message(t.service_state(svc.id), encode(state), True, now)
    for i, c in enumerate(site.counters.values()):
        svc = site.services[c.services[0]]
        state = counter_state(c.id, f"{svc.prefix}{100 + i:03d}", service=svc.id, seq=5,
                              name=c.name, day=day)
        app.handle_message(t.counter_state(c.id), encode(state), True, now)
    app.draw(now)
    shown = sum(1 for c in app.cells if c.text)
    assert len(app.model.services) == len(app.board.services) and shown > 20, shown
    reply = {"ok": True, "data": app.screenshot_png(), "transaction": "t-1"}
    body = json.dumps(reply).encode()
    png = len(reply["data"]["png_base64"]) * 3 // 4
    app.close()
    return png, len(body)


def main() -> int:
    for size in ((1920, 1080), (3840, 2160), (2160, 3840)):
        png, body = reply_size(size)
        print(f"{size[0]}x{size[1]}: PNG {png / 1024:.0f} KiB, reply {body / 1024:.0f} KiB "
              f"({body} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
