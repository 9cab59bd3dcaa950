"""The test and demo broker (antrian.devbroker): a port picked free can be taken before
Mosquitto binds it; a fresh broker then moves instead of failing the test 10 s later."""

import socket

import pytest

from antrian.devbroker import Mosquitto

pytestmark = pytest.mark.broker


def test_a_fresh_broker_whose_port_was_taken_moves_and_keeps_its_new_port_on_restart(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))               # bound, as a client's own port is
        broker = Mosquitto(tmp_path)
        broker.port = taken.getsockname()[1]       # as if someone took it after free_port()
        broker.log = tmp_path / f"mosquitto-{broker.port}.log"
        broker.start()
        try:
            assert broker.port != taken.getsockname()[1] and broker.proc.poll() is None
            moved = broker.port
            broker.restart()                           # clients know this port now
            assert broker.port == moved and broker.proc.poll() is None
        finally:
            broker.stop()


def test_a_broker_given_its_port_does_not_move_but_says_it_could_not_start(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        broker = Mosquitto(tmp_path, port=taken.getsockname()[1])
        try:
            with pytest.raises(RuntimeError, match="mosquitto exited"):
                broker.start()
        finally:
            broker.stop()          # had it started after all, it must not outlive the test
