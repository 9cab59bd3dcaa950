"""systemd/mosquitto.conf, the main config the Mosquitto drop-in starts: it includes the
generated fragment and runs with the file layout install-pi makes (Mosquitto reads the password
file after dropping to its own user)."""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from support.broker import free_port, wait_port

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "systemd" / "mosquitto.conf"

pytestmark = pytest.mark.broker


def mosquitto_user() -> tuple[int, int] | None:
    try:
        return pwd.getpwnam("mosquitto").pw_uid, grp.getgrnam("mosquitto").gr_gid
    except KeyError:
        return None


@pytest.fixture
def pi_etc():
    """/etc/antrian/mosquitto as install-pi leaves it, under a fresh directory that the
    mosquitto user can traverse (pytest's tmp_path is private to root)."""
    if os.geteuid() != 0 or mosquitto_user() is None or not shutil.which("mosquitto_passwd"):
        pytest.skip("needs root, the mosquitto user and mosquitto_passwd (Debian `mosquitto`)")
    uid, gid = mosquitto_user()
    top = Path(tempfile.mkdtemp(prefix="antrian-etc-", dir="/tmp"))
    top.chmod(0o755)
    (top / "mosquitto").mkdir(mode=0o750)
    os.chown(top / "mosquitto", 0, gid)            # root:mosquitto 0750
    for owned in ("lib", "run"):                   # like /var/lib/mosquitto, /run/mosquitto
        (top / owned).mkdir()
        os.chown(top / owned, uid, gid)
    yield top
    shutil.rmtree(top, ignore_errors=True)


def main_config(top: Path) -> Path:
    """The shipped main config with its three paths moved under ``top``; nothing else changes."""
    text = MAIN.read_text()
    for old, new in (("/run/mosquitto/mosquitto.pid", f"{top}/run/mosquitto.pid"),
                     ("/var/lib/mosquitto/", f"{top}/lib/"),
                     ("include_dir /etc/antrian/mosquitto", f"include_dir {top}/mosquitto")):
        assert old in text, old
        text = text.replace(old, new)
    path = top / "mosquitto.conf"
    path.write_text(text)
    return path


def connect(port: int, username: str | None = None, password: str | None = None) -> int:
    """The CONNACK reason code (0: accepted)."""
    result = {}
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:8]}")
    if username:
        client.username_pw_set(username, password)
    client.on_connect = lambda c, u, f, rc, p: result.setdefault("rc", rc.value)
    client.connect("127.0.0.1", port, keepalive=5)
    deadline = time.monotonic() + 5
    while "rc" not in result and time.monotonic() < deadline:
        client.loop(0.1)
    client.disconnect()
    assert "rc" in result, "no CONNACK"
    return result["rc"]


@contextlib.contextmanager
def running_mosquitto(config: Path, port: int):
    """Mosquitto started with ``config`` as the drop-in starts it; yields its output so far."""
    proc = subprocess.Popen(["mosquitto", "-c", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    try:
        try:
            wait_port(port, timeout=5)
        except TimeoutError:
            proc.terminate()
            pytest.fail(proc.communicate(timeout=5)[0])
        yield output
    finally:
        proc.terminate()
        output.append(proc.communicate(timeout=10)[0])


def test_the_main_config_includes_the_fragment_and_reads_passwd_as_mosquitto(pi_etc):
    uid, gid = mosquitto_user()
    port = free_port()
    passwd = pi_etc / "mosquitto" / "passwd"
    passwd.touch()
    subprocess.run(["mosquitto_passwd", "-b", str(passwd), "queue", "rahasia"], check=True)
    os.chown(passwd, uid, gid)
    passwd.chmod(0o600)                             # as install-pi sets it
    (pi_etc / "mosquitto" / "antrian.conf").write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {passwd}\n")
    with running_mosquitto(main_config(pi_etc), port) as output:
        assert connect(port, "queue", "rahasia") == 0
        assert connect(port) != 0                   # no anonymous clients
        assert connect(port, "queue", "salah") != 0
    out = output[0]
    # Logged to stdout, which systemd sends to the journal: `journalctl -u mosquitto`.
    assert "running" in out and "Opening ipv4 listen socket" in out
    assert (pi_etc / "lib" / "mosquitto.db").exists()   # persistence saved on exit


def test_the_generated_broker_config_fits_install_pi_and_the_main_config(pi_etc, tmp_path):
    """`antrian broker-config` writes what install-pi expects (antrian.conf, passwd, acl) and
    Mosquitto starts with the shipped main config including it."""
    import sys

    from antrian import cli

    known = cli.build_parser()._subparsers._group_actions[0].choices
    if "broker-config" not in known:
        pytest.skip("`antrian broker-config` is not written yet")
    from support.site import write_site

    uid, gid = mosquitto_user()
    port = free_port()
    site = write_site(tmp_path / "site.toml", port)
    site.write_text(site.read_text().replace('keepalive = 5', 'keepalive = 5\nsecrets = "secrets.toml"'))
    (tmp_path / "secrets.toml").write_text('[passwords]\nqueue = "rahasia"\nops = "ops-rahasia"\n')
    out = pi_etc / "mosquitto"
    subprocess.run([sys.executable, "-m", "antrian", "broker-config", "--config", str(site),
                    "--out", str(out)], check=True, cwd=ROOT, timeout=60)
    for name in ("antrian.conf", "passwd", "acl"):
        assert (out / name).is_file(), f"install-pi expects {name} in --out"
    # install-pi leaves the ownership to the generator: Mosquitto must be able to read these.
    for name in ("passwd", "acl", "public.acl"):
        st = (out / name).stat()
        assert (st.st_uid, st.st_gid) == (uid, gid), name
    assert (out / "passwd").stat().st_mode & 0o077 == 0
    with running_mosquitto(main_config(pi_etc), port):
        assert connect(port, "queue", "rahasia") == 0
        assert connect(port) != 0
