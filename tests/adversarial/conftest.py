"""The adversarial suite runs against the real broker with the configuration
`antrian broker-config` generates (accounts, ACL, client ids) and the real queue service."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "maintenance"))

from maint_kit import ServeProcess, write_locked_site  # noqa: E402
from support.broker import Mosquitto, free_port  # noqa: E402

B = "antrian/test"


@pytest.fixture
def building(tmp_path):
    """(site, broker, queue): a locked-down broker and a running queue service, watched by
    the ``ops`` account."""
    site = write_locked_site(tmp_path, free_port())
    broker = Mosquitto(tmp_path, port=site.port, config=site.conf).start()
    watcher = site.client("ops", topics=[f"{B}/#"])
    queue = ServeProcess(site.site_file, tmp_path / "queue.db", site.port, watcher).start()
    wait_ready(watcher)
    yield site, broker, queue
    queue.stop()
    watcher.close()
    broker.stop()


def wait_ready(watcher, since: int = 0) -> None:
    watcher.wait_for(lambda t, b: t == f"{B}/service/ktp/state", timeout=15,
                     what="the queue's retained state", since=since)
