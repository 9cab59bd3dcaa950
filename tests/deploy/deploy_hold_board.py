"""``antrian display ...`` with one test hook: a board whose main loop can be held.

    ANTRIAN_TEST_HOLD=/tmp/x/hold python tests/deploy/deploy_hold_board.py display --config ...

While the file named by ``ANTRIAN_TEST_HOLD`` exists, the board's loop stops inside a turn (as a
stuck draw or a blocked call would), while paho's and the maintenance threads keep running: the
loop, and only the loop, pings systemd's watchdog, so the pings must stop. The process is the one
that runs the board (same pid), as under systemd.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from display import board  # noqa: E402

HOLD = os.environ["ANTRIAN_TEST_HOLD"]
_tick = board.Board.tick


def held_tick(self, *args, **kwargs):
    while os.path.exists(HOLD):
        time.sleep(0.05)
    return _tick(self, *args, **kwargs)


board.Board.tick = held_tick

from antrian import cli  # noqa: E402

sys.exit(cli.main(sys.argv[1:]))
