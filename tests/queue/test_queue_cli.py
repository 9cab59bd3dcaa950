"""The small MQTT clients for people and scripts: antrian take, press, status."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from support.site import ROOT

pytestmark = pytest.mark.broker


def antrian(*args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "antrian", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def test_take_press_and_status_work_from_the_command_line(queue_service):
    cfg = str(queue_service.site_file)
    took = antrian("take", "--config", cfg, "--service", "ktp")
    assert took.returncode == 0, took.stderr
    assert json.loads(took.stdout)["ticket"] == "A001"
    pressed = antrian("press", "--config", cfg, "--counter", "2", "next")
    assert pressed.returncode == 0, pressed.stderr
    assert json.loads(pressed.stdout)["ticket"] == "A001"
    status = antrian("status", "--config", cfg)
    assert status.returncode == 0, status.stderr
    assert "queue service online" in status.stdout
    assert "Loket 2" in status.stdout and "A001" in status.stdout
    as_json = json.loads(antrian("status", "--config", cfg, "--json").stdout)
    assert as_json["counters"]["2"]["ticket"] == "A001"


def test_a_refused_press_exits_non_zero_with_the_reason(queue_service):
    result = antrian("press", "--config", str(queue_service.site_file), "--counter", "3", "recall")
    assert result.returncode == 1
    assert json.loads(result.stdout)["code"] == "not_allowed"


def test_a_kiosk_that_does_not_offer_the_service_is_never_chosen(queue_service):
    result = antrian("take", "--config", str(queue_service.site_file), "--service", "skck",
                     "--kiosk", "k2")
    assert json.loads(result.stdout)["ticket"] == "C001"
    result = antrian("take", "--config", str(queue_service.site_file), "--service", "nope")
    assert result.returncode == 2 and "no kiosk offers" in result.stderr


def test_a_bad_config_is_reported_with_its_key_and_exit_code_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('site = "Bad Site"\n')
    result = antrian("serve", "--config", str(bad), "--db", str(tmp_path / "q.db"))
    assert result.returncode == 2
    assert "site:" in result.stderr and "lowercase" in result.stderr


def test_the_broker_being_away_is_a_clear_message_not_a_hang(tmp_path):
    from support.site import write_site
    from support.broker import free_port

    site = write_site(tmp_path / "site.toml", free_port())
    result = antrian("take", "--config", str(site), "--service", "ktp", "--timeout", "1")
    assert result.returncode == 1 and "cannot reach the broker" in result.stderr
