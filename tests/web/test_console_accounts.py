"""Officer accounts: `antrian web-user add --role officer --counters 3,4` (password on stdin),
and the accounts file's rules for them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from antrian import config
from antrian.config import ConfigError
from support.site import ROOT, write_site
from web import accounts as acc

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$abcdefghijklmnopqrstuvwxyz0123456789ABCDEF"


@pytest.fixture
def site(tmp_path):
    return config.load(write_site(tmp_path / "site.toml", 1883,
                                  '\n[web]\nmanagers = "managers.toml"\n'))


def officer(**extra) -> dict:
    return {"manager": [{"user": "sari", "role": "officer", "password_hash": HASH, **extra}]}


def test_an_officer_is_bound_to_counters_of_the_site(site):
    _, accounts = acc.parse(officer(counters=["3", "1", "3"]), "m.toml", site)
    sari = accounts["sari"]
    assert sari.counters == ("3", "1") and sari.agency is None
    assert not sari.sees("Polres")                     # no agency's figures
    for bad, why in [({}, "lists its counters"), ({"counters": []}, "lists its counters"),
                     ({"counters": ["9"]}, "not a counter"),
                     ({"counters": ["3"], "agency": "Polres"}, "counters only")]:
        with pytest.raises(ConfigError, match=why):
            acc.parse(officer(**bad), "m.toml", site)
    with pytest.raises(ConfigError, match="only an officer"):
        acc.parse({"manager": [{"user": "p", "role": "manager", "password_hash": HASH,
                                "counters": ["1"]}]}, "m.toml", site)


def test_web_user_adds_an_officer_and_the_file_keeps_the_counters(tmp_path, site):
    run = subprocess.run(
        [sys.executable, "-m", "antrian", "web-user", "add", "--config", str(site.path),
         "--user", "sari", "--role", "officer", "--counters", "3, 2"],
        input="rahasia-loket-3\n", cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    _, accounts = acc.read(tmp_path / "managers.toml", site)
    assert accounts["sari"].role == "officer" and accounts["sari"].counters == ("3", "2")
    listed = subprocess.run(
        [sys.executable, "-m", "antrian", "web-user", "list", "--config", str(site.path)],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "sari\tofficer\tloket 3,2" in listed.stdout
    refused = subprocess.run(
        [sys.executable, "-m", "antrian", "web-user", "add", "--config", str(site.path),
         "--user", "budi", "--role", "officer", "--counters", "7"],
        input="rahasia-loket-7\n", cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--counters" in refused.stderr
