"""Tests start their own Mosquitto: see antrian/devbroker.py."""

from antrian.devbroker import Mosquitto, free_port, wait_port  # noqa: F401
