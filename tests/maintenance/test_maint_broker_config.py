"""`antrian broker-config`: the generated accounts, ACL and listeners, as text and as a running
Mosquitto that lets nobody in where they don't belong."""

from __future__ import annotations

import os
import stat
import subprocess
import time
import tomllib
from pathlib import Path

import pytest


from support.broker import Mosquitto, free_port  # noqa: E402
from support.site import write_site  # noqa: E402
from maint_kit import (BOARD_AND_PANEL, NOT_AUTHORIZED, Client, ServeProcess, antrian,  # noqa: E402
                       connack, write_locked_site)

from antrian import config  # noqa: E402
from antrian.config import ConfigError  # noqa: E402
from mqtt import broker_config as bc  # noqa: E402

B = "antrian/test"


def small_site(tmp_path: Path, port: int = 1883, extra: str = "") -> config.Site:
    path = write_site(tmp_path / "site.toml", port, BOARD_AND_PANEL + extra)
    path.write_text(path.read_text().replace("keepalive = 5",
                                             'keepalive = 5\nsecrets = "secrets.toml"'))
    return config.load(path)


def block(acl: str, user: str) -> list[str]:
    """The topic lines of one user's block."""
    lines = acl.splitlines()
    start = lines.index(f"user {user}") + 1
    out = []
    for line in lines[start:]:
        if not line.startswith("topic "):
            break
        out.append(line)
    return out


# -- the generated text -------------------------------------------------------------------------

def test_every_component_of_the_toml_gets_an_account_named_like_its_presence_topic(tmp_path):
    site = small_site(tmp_path)
    names = [a.name for a in bc.accounts(site)]
    assert names == ["queue", "ops", "cli", "web", "board-lobby", "counter-1", "counter-2", "counter-3",
                     "kiosk-k1", "kiosk-k2"]


def test_a_counter_may_publish_only_its_own_press_and_a_board_nothing(tmp_path):
    site = small_site(tmp_path)
    acl = bc.acl(site, bc.accounts(site))
    counter3 = block(acl, "counter-3")
    writes = [line for line in counter3 if line.startswith(("topic write", "topic readwrite"))]
    assert writes == [f"topic write {B}/counter/3/press"]
    assert f"topic read {B}/error/counter-3" in counter3
    assert f"topic read {B}/counter/+/state" in counter3
    assert not any("write" in line for line in block(acl, "board-lobby"))
    assert [line for line in block(acl, "kiosk-k2") if "write" in line] == \
        [f"topic write {B}/kiosk/k2/take", f"topic write {B}/kiosk/k2/checkin"]
    # The web publishes staff presses as each counter and five queue commands (issue 14) and
    # booking requests (issue 15); nothing else: no takes, no other component's commands.
    web_writes = [line for line in block(acl, "web") if "write" in line]
    assert web_writes == (
        [f"topic write {B}/counter/{c}/press" for c in ("1", "2", "3")]
        + [f"topic write {B}/cmnd/queue/{c}" for c in ("open", "close", "assign", "message",
                                                        "reset")]
        + [f"topic write {B}/booking/{op}" for op in ("book", "cancel", "status")])
    # No account, not even the queue or a technician, reads the whole site (others' replies).
    assert not any(line.endswith((f"{B}/#", f"{B}/reply/#")) and "read" in line
                   for line in acl.splitlines())
    assert f"topic write {B}/reply/#" in block(acl, "queue")
    assert f"topic write {B}/cmnd/+/+" in block(acl, "ops")
    assert [line for line in block(acl, "cli") if "write" in line] == \
        [f"topic write {B}/kiosk/+/take", f"topic write {B}/counter/+/press"]
    # Maintenance topics are each account's own, by username, leaf by leaf: no tele/%u/#.
    for line in (f"pattern write {B}/tele/%u/lwt", f"pattern write {B}/tele/%u/state",
                 f"pattern write {B}/stat/%u/+", f"pattern read {B}/cmnd/%u/+",
                 f"pattern read {B}/reply/%u/#", f"pattern write {B}/reply/ops/#"):
        assert line in acl.splitlines()
    assert not any(line.endswith(("%u/#",)) and "write" in line for line in acl.splitlines())
    # Before the first user line a topic line would be an anonymous rule: there is none.
    first_user = acl.splitlines().index("user queue")
    assert not any(line.startswith("topic") for line in acl.splitlines()[:first_user])


def test_the_public_acl_reads_the_boards_topics_and_writes_nothing(tmp_path):
    site = small_site(tmp_path)
    lines = [line for line in bc.public_acl(site).splitlines() if not line.startswith("#")]
    assert all(line.startswith("topic read ") for line in lines)
    assert f"topic read {B}/service/+/state" in lines and f"topic read {B}/call" in lines
    assert not any("cmnd" in line or "press" in line or "error" in line for line in lines)


def test_the_config_refuses_anonymous_clients_and_sizes_the_queues(tmp_path):
    site = small_site(tmp_path, port=1884)
    secrets = bc.Secrets(tmp_path / "s.toml", {}, websockets=9001)
    text = bc.mosquitto_conf(site, secrets, bc.Options(), Path("/etc/antrian/mosquitto"))
    lines = text.splitlines()
    assert "listener 1884" in lines and "listener 9001" in lines
    assert lines.count("allow_anonymous false") == 1        # only the websockets one is open
    assert "password_file /etc/antrian/mosquitto/passwd" in lines
    assert "acl_file /etc/antrian/mosquitto/acl" in lines
    assert "acl_file /etc/antrian/mosquitto/public.acl" in lines
    assert "max_queued_messages 100000" in lines and "per_listener_settings true" in lines
    assert f"max_queued_bytes {8 * 2**20}" in lines and f"max_packet_size {2 * 2**20}" in lines
    assert "set_tcp_nodelay true" in lines
    # The devices' listener fixes client ids to usernames and caps its connections.
    assert "use_username_as_clientid true" in lines
    assert "max_connections 64" in lines and "max_connections 500" in lines
    # The shipped main config holds persistence: a second persistence_location stops Mosquitto.
    assert not any(line.startswith("persistence") for line in lines)
    standalone = bc.mosquitto_conf(site, secrets, bc.Options(standalone=True, data_dir=Path("/d")),
                                   Path("/x"))
    assert "persistence true" in standalone and "persistence_location /d/" in standalone
    # Standalone without --data-dir or --bind: a private folder and loopback (issue 16).
    private = bc.mosquitto_conf(site, secrets, bc.Options(standalone=True), Path("/x")).splitlines()
    assert "persistence_location /x/mosquitto-data/" in private
    assert "listener 1884 127.0.0.1" in private and "listener 9001 127.0.0.1" in private
    assert not any("/var/lib/mosquitto" in line for line in private)


def test_a_console_listener_gets_the_technicians_and_fixed_ids_stay_on_the_devices(tmp_path):
    site = small_site(tmp_path, port=1884)
    text = bc.mosquitto_conf(site, bc.Secrets(tmp_path, {}), bc.Options(console_port=1890),
                             Path("/m"), bc.accounts(site))
    devices, console = text.split("listener 1884\n")[1].split("listener 1890\n")
    assert "use_username_as_clientid true" in devices and "password_file /m/passwd" in devices
    assert "use_username_as_clientid" not in console
    assert "password_file /m/console.passwd" in console and "max_connections 32" in console
    with pytest.raises(ConfigError, match="console_port"):
        bc.mosquitto_conf(site, bc.Secrets(tmp_path, {}), bc.Options(console_port=1884), Path("/m"))


def test_tls_comes_from_the_secrets_file_and_a_tls_site_needs_it(tmp_path):
    site = small_site(tmp_path)
    tls = bc.Tls(certfile="/c/server.crt", keyfile="/c/server.key", cafile="/c/ca.crt")
    text = bc.mosquitto_conf(site, bc.Secrets(tmp_path, {}, tls=tls), bc.Options(), Path("/m"))
    assert "listener 8883" in text and "certfile /c/server.crt" in text
    assert text.count("allow_anonymous false") == 2
    assert text.count("use_username_as_clientid true") == 2
    tls_site = small_site(tmp_path, port=8883, extra="")
    raw = dict(tls_site.raw)
    raw["broker"] = {**raw["broker"], "tls": True}
    tls_site = config.parse(raw, tls_site.path)
    with pytest.raises(ConfigError, match=r"\[tls\]"):
        bc.mosquitto_conf(tls_site, bc.Secrets(tmp_path, {}), bc.Options(), Path("/m"))
    text = bc.mosquitto_conf(tls_site, bc.Secrets(tmp_path, {}, tls=tls), bc.Options(), Path("/m"))
    assert "listener 8883" in text and "listener 1883" not in text
    with pytest.raises(ConfigError, match="two listeners"):
        bc.mosquitto_conf(site, bc.Secrets(tmp_path, {}, websockets=1883), bc.Options(), Path("/m"))


def test_a_missing_or_misspelt_password_is_named(tmp_path):
    site = small_site(tmp_path)
    accounts = bc.accounts(site)
    passwords = {a.name: "rahasia-" + a.name for a in accounts}
    assert bc.check_passwords(bc.Secrets(tmp_path, passwords), accounts) == []
    del passwords["counter-2"]
    passwords["counter3"] = "y"
    missing, typo = bc.check_passwords(bc.Secrets(tmp_path, passwords), accounts)
    assert "no password for counter-2" in missing and "passwords.counter3: no such component" in typo
    with pytest.raises(ConfigError, match="without spaces"):
        bc.parse_secrets({"passwords": {"queue": "has space"}}, tmp_path / "s.toml")


def test_an_account_without_a_password_stays_out_of_passwd_and_is_reported(tmp_path):
    site = small_site(tmp_path)
    (tmp_path / "secrets.toml").write_text('[passwords]\nqueue = "rahasia"\nops = "ops-rahasia"\n')
    r = antrian("broker-config", "--config", str(site.path), "--out", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert "no password for cli, web, board-lobby, counter-1" in r.stderr
    users = [line.split(":")[0] for line in (tmp_path / "out" / "passwd").read_text().splitlines()]
    assert users == ["queue", "ops"]


def test_generated_secrets_are_private_complete_and_keep_existing_passwords(tmp_path):
    site = small_site(tmp_path)
    (tmp_path / "secrets.toml").write_text('[passwords]\nqueue = "lama"\nops-andi = "andi"\n')
    secrets, added = bc.generate_secrets(site)
    assert "queue" not in added and "counter-3" in added and "ops" in added
    path = tmp_path / "secrets.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = tomllib.loads(path.read_text())["passwords"]
    assert raw["queue"] == "lama" and raw["ops-andi"] == "andi" and len(raw["kiosk-k1"]) >= 20
    assert config.credentials(site, "counter-3") == ("counter-3", raw["counter-3"])
    assert bc.generate_secrets(site)[1] == []               # nothing to add the second time
    accounts = bc.accounts(site, bc.optional_accounts(secrets, site))
    assert "ops-andi" in [a.name for a in accounts]
    files = bc.device_secrets(secrets, accounts, tmp_path / "devices")
    board = tomllib.loads((tmp_path / "devices" / "board-lobby-secrets.toml").read_text())
    assert board == {"passwords": {"board-lobby": raw["board-lobby"]}}
    assert len(files) == 7 and not (tmp_path / "devices" / "queue-secrets.toml").exists()
    # The ticket key is generated once, and the web's own file holds it and its password only.
    key = tomllib.loads(path.read_text())["keys"]["ticket"]
    assert len(key) >= 32 and config.ticket_secret(site) == config.ticket_secret(site)
    web = tomllib.loads((tmp_path / "devices" / "web-secrets.toml").read_text())
    assert web == {"passwords": {"web": raw["web"]}, "keys": {"ticket": key}}
    assert "keys" not in board


def test_broker_config_without_a_secrets_file_says_how_to_make_one(tmp_path):
    site = small_site(tmp_path)
    r = antrian("broker-config", "--config", str(site.path), "--out", str(tmp_path / "out"))
    assert r.returncode == 2 and "--generate-secrets" in r.stderr


# -- against a running Mosquitto ----------------------------------------------------------------

@pytest.fixture(scope="module")
def locked(tmp_path_factory):
    folder = tmp_path_factory.mktemp("locked")
    site = write_locked_site(folder, free_port(), ws_port=free_port())
    broker = Mosquitto(folder, port=site.port, config=site.conf)
    broker.start()
    yield site
    broker.stop()


@pytest.fixture
def ops(locked):
    c = locked.client("ops")
    yield c
    c.close()


@pytest.fixture
def queue(locked):
    """The queue service's account: the one that publishes the site's state and events."""
    c = locked.client("queue")
    yield c
    c.close()


@pytest.mark.broker
def test_anonymous_clients_and_wrong_passwords_are_refused(locked):
    assert connack(locked.port) == NOT_AUTHORIZED
    assert connack(locked.port, "queue", "salah") != 0
    assert connack(locked.port, "counter-3", locked.password("counter-5") if "counter-5" in
                   locked.secrets else "x") != 0
    assert connack(locked.port, "counter-3", locked.password("counter-3")) == 0


@pytest.mark.broker
def test_counter_3_cannot_press_for_another_counter_nor_send_commands(locked, ops, queue):
    c3 = locked.client("counter-3", topics=[f"{B}/#"])
    try:
        assert c3.publish(f"{B}/counter/3/press", {"action": "next", "id": "ok-1"}) == 0
        ops.wait_for(lambda t, b: t == f"{B}/counter/3/press", what="counter 3's own press")
        for topic in (f"{B}/counter/5/press", f"{B}/counter/1/press", f"{B}/kiosk/k1/take",
                      f"{B}/cmnd/queue/reset", f"{B}/cmnd/queue/close", f"{B}/cmnd/board-lobby/status",
                      f"{B}/service/ktp/state", f"{B}/message", f"{B}/tele/queue/lwt",
                      f"{B}/stat/queue/status", "antrian/other/counter/3/press", "$SYS/x"):
            assert c3.publish(topic, {"action": "next", "id": "bad", "confirm": True}) \
                == NOT_AUTHORIZED, topic
        # Its own maintenance topics are its to write.
        assert c3.publish(f"{B}/tele/counter-3/state", {"x": 1}) == 0
        assert c3.publish(f"{B}/stat/counter-3/status", {"ok": True}) == 0
        ops.publish(f"{B}/cmnd/counter-3/status", {})
        ops.publish(f"{B}/cmnd/queue/status", {})
        queue.publish(f"{B}/counter/3/state", {"counter": "3"})
        queue.publish(f"{B}/error/counter-1", {"ok": False})
        c3.wait_for(lambda t, b: t == f"{B}/counter/3/state", what="its counter's state")
        c3.wait_for(lambda t, b: t == f"{B}/cmnd/counter-3/status", what="its own command")
        queue.publish(f"{B}/error/counter-3", {"ok": False, "marker": 1})
        c3.wait_for(lambda t, b: t == f"{B}/error/counter-3")
    finally:
        c3.close()
    seen = ops.topics_seen()
    assert f"{B}/counter/1/press" not in seen and f"{B}/cmnd/queue/reset" not in seen
    # Nor may it read what is not its own: other counters' errors, other components' commands.
    heard = c3.topics_seen()
    assert f"{B}/cmnd/queue/status" not in heard and f"{B}/error/counter-1" not in heard


@pytest.mark.broker
def test_a_board_cannot_publish_anything_but_its_own_presence_and_replies(locked, ops):
    board = locked.client("board-lobby", topics=[f"{B}/#"])
    try:
        for topic in (f"{B}/counter/1/press", f"{B}/kiosk/k1/take", f"{B}/call", f"{B}/message",
                      f"{B}/service/ktp/state", f"{B}/counter/1/state", f"{B}/ticket",
                      f"{B}/cmnd/queue/message", f"{B}/tele/queue/lwt", f"{B}/error/counter-1",
                      f"{B}/reply/counter-1", f"{B}/stat/queue/status"):
            assert board.publish(topic, {"x": 1}) == NOT_AUTHORIZED, topic
        assert board.publish(f"{B}/tele/board-lobby/lwt", b"online", retain=True) == 0
        ops.wait_for(lambda t, b: t == f"{B}/tele/board-lobby/lwt")
    finally:
        board.close()
    assert not {f"{B}/call", f"{B}/message", f"{B}/cmnd/queue/message"} & ops.topics_seen()


@pytest.mark.broker
def test_a_kiosk_takes_tickets_only_for_itself(locked, ops):
    k1 = locked.client("kiosk-k1", topics=[f"{B}/ticket"])
    try:
        assert k1.publish(f"{B}/kiosk/k1/take", {"service": "ktp", "id": "a"}) == 0
        assert k1.publish(f"{B}/kiosk/k2/take", {"service": "skck", "id": "b"}) == NOT_AUTHORIZED
        assert k1.publish(f"{B}/counter/1/press", {"action": "next", "id": "c"}) == NOT_AUTHORIZED
    finally:
        k1.close()


@pytest.mark.broker
def test_the_websockets_listener_is_anonymous_and_read_only(locked, ops, queue):
    queue.publish(f"{B}/service/ktp/state", {"service": "ktp", "waiting": 4}, retain=True)
    queue.publish(f"{B}/error/counter-1", {"ok": False})
    web = Client(locked.ws_port, topics=[f"{B}/#"], transport="websockets", name="browser")
    try:
        web.wait_for(lambda t, b: t == f"{B}/service/ktp/state" and b["waiting"] == 4,
                     what="the retained service state")
        assert web.publish(f"{B}/counter/1/press", {"action": "next", "id": "w"}) == NOT_AUTHORIZED
        assert web.publish(f"{B}/message", {"text": "x"}) == NOT_AUTHORIZED
        ops.publish(f"{B}/cmnd/queue/status", {})
        queue.publish(f"{B}/call", {"ticket": "A001"})
        web.wait_for(lambda t, b: t == f"{B}/call")
        assert not {f"{B}/cmnd/queue/status", f"{B}/error/counter-1"} & web.topics_seen()
    finally:
        web.close()
        queue.publish(f"{B}/service/ktp/state", b"", retain=True)


@pytest.mark.broker
def test_the_ops_account_runs_commands_the_queue_service_answers(locked, tmp_path):
    watcher = locked.client("ops")
    queue = ServeProcess(locked.site_file, tmp_path / "queue.db", locked.port, watcher).start()
    try:
        r = antrian("ctl", "--config", str(locked.site_file), "queue", "open", "counter=3")
        assert r.returncode == 0, r.stderr
        watcher.wait_for(lambda t, b: t == f"{B}/counter/3/state" and b["open"] is True,
                         what="counter 3 opened by ops")
        # The same command from counter 3's own account never reaches the queue service.
        c3 = locked.client("counter-3", topics=[])
        assert c3.publish(f"{B}/cmnd/queue/close", {"counter": "3"}) == NOT_AUTHORIZED
        c3.close()
        r = antrian("ctl", "--config", str(locked.site_file), "queue", "status", "--json")
        assert r.returncode == 0 and '"counters_open": 1' in r.stdout, r.stdout + r.stderr
        # The service's own account works for everything it publishes (state, presence).
        assert watcher.last(f"{B}/tele/queue/lwt") == b"online"
    finally:
        queue.stop()
        watcher.close()


@pytest.mark.broker
def test_the_cli_writes_what_install_pi_expects_and_mosquitto_starts_with_it(tmp_path):
    port = free_port()
    site = small_site(tmp_path, port)
    out = tmp_path / "etc"
    args = ["broker-config", "--config", str(site.path), "--out", str(out), "--generate-secrets",
            "--standalone", "--bind", "127.0.0.1", "--data-dir", str(tmp_path / "data"),
            "--device-secrets", str(tmp_path / "usb")]
    if os.geteuid() == 0:
        args += ["--user", "root"]
    r = antrian(*args)
    assert r.returncode == 0, r.stderr
    assert {p.name for p in out.iterdir()} >= {"antrian.conf", "passwd", "acl", "public.acl"}
    assert stat.S_IMODE((out / "passwd").stat().st_mode) == 0o600
    passwd = (out / "passwd").read_text()
    assert passwd.startswith("queue:$7$") and "rahasia" not in passwd    # pbkdf2-sha512 hashes
    assert (tmp_path / "usb" / "counter-3-secrets.toml").exists()
    secrets = tomllib.loads((tmp_path / "secrets.toml").read_text())["passwords"]
    with Mosquitto(tmp_path, port=port, config=out / "antrian.conf"):
        assert connack(port, "kiosk-k2", secrets["kiosk-k2"]) == 0
        assert connack(port, "kiosk-k2", secrets["kiosk-k1"]) != 0
        assert connack(port) == NOT_AUTHORIZED
    assert (tmp_path / "data" / "mosquitto.db").exists()     # persistence on, saved at stop
    log = next(tmp_path.glob("mosquitto-*.log")).read_text()
    assert "Error" not in log, log


def make_certificates(folder: Path) -> dict[str, str]:
    """A throwaway CA and a server certificate for 127.0.0.1 (openssl, EC keys: fast)."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run = lambda *a: subprocess.run(["openssl", *a], cwd=folder, check=True,  # noqa: E731
                                    capture_output=True, timeout=30)
    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=antrian-test-ca")
    run("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext")
    return {"ca": str(folder / "ca.crt"), "server": str(folder / "server.crt"),
            "key": str(folder / "server.key")}


@pytest.mark.broker
@pytest.mark.skipif(not __import__("shutil").which("openssl"), reason="needs openssl")
def test_a_tls_site_gets_a_tls_listener_its_devices_connect_to(tmp_path):
    from mqtt.client import Connection

    certs = make_certificates(tmp_path)
    tls_port = free_port()
    site = write_locked_site(
        tmp_path, tls_port,
        secrets=f'[passwords]\nqueue = "rahasia-queue"\n\n[tls]\ncafile = "{certs["ca"]}"\n'
                f'certfile = "{certs["server"]}"\nkeyfile = "{certs["key"]}"\n',
        # The devices' side: [broker] tls = true with the CA, on the TLS port.
        broker_lines=f'tls = true\nca_file = "{certs["ca"]}"')
    conf = site.conf.read_text()
    assert f"listener {tls_port} 127.0.0.1" in conf and "certfile" in conf
    listeners = [line for line in conf.splitlines() if line.startswith("listener ")]
    # no plain listener on a TLS site: the devices' TLS one, and the console's, TLS too
    assert listeners == [f"listener {tls_port} 127.0.0.1", f"listener {site.console_port} 127.0.0.1"]
    assert conf.count("certfile") == 2
    with Mosquitto(tmp_path, port=tls_port, config=site.conf):
        assert connack(tls_port, "queue", "rahasia-queue", tls_ca=certs["ca"]) == 0
        assert connack(tls_port, tls_ca=certs["ca"]) == NOT_AUTHORIZED
        conn = Connection(config.load(site.site_file), "counter-3")
        try:
            assert conn.start(wait=5), "a device with the site's TLS settings connects"
        finally:
            conn.stop()


def test_the_example_secrets_file_names_the_example_sites_components():
    root = Path(__file__).resolve().parents[2]
    path = root / "examples" / "secrets.example.toml"
    secrets = bc.parse_secrets(tomllib.loads(path.read_text()), path)
    site = config.load(root / "examples" / "mpp.toml")
    accounts = bc.accounts(site, bc.optional_accounts(secrets, site))
    unknown = set(secrets.passwords) - {a.name for a in accounts}
    assert unknown <= {"board-lobby"}        # boards are the display role's tables
    assert {"queue", "ops", "web", "counter-1", "kiosk-k1"} <= set(secrets.passwords)


@pytest.mark.broker
def test_technicians_may_read_the_brokers_own_figures(locked):
    ops = locked.client("ops", topics=["$SYS/broker/version"])
    try:
        _, version = ops.wait_for(lambda t, b: t == "$SYS/broker/version")
        assert b"mosquitto" in version
    finally:
        ops.close()
    board = locked.client("board-lobby", topics=["$SYS/broker/version"])
    try:
        time.sleep(0.3)
        assert not board.topics_seen()
    finally:
        board.close()


def test_a_counter_display_gets_a_read_only_account_when_the_secrets_name_it(tmp_path):
    site = small_site(tmp_path)
    (tmp_path / "secrets.toml").write_text('[passwords]\ncounter-display-3 = "layar"\n'
                                           'counter-display-9 = "no-such-counter"\n')
    secrets = bc.load_secrets(site)
    assert bc.optional_accounts(secrets, site) == ["counter-display-3"]
    accounts = bc.accounts(site, bc.optional_accounts(secrets, site))
    acl = bc.acl(site, accounts)
    assert block(acl, "counter-display-3") == block(acl, "board-lobby")      # reads, no writes
    assert any("counter-display-9" in w for w in bc.check_passwords(secrets, accounts))
    _, added = bc.generate_secrets(site, counter_displays=True)
    assert {"counter-display-1", "counter-display-2"} <= set(added)
    assert "counter-display-3" not in added                  # its password is kept


@pytest.mark.broker
def test_a_standalone_broker_keeps_its_own_data_and_listens_on_loopback_by_default(tmp_path):
    # Issue 16: never the system broker's /var/lib/mosquitto, never every interface unasked.
    port = free_port()
    site = small_site(tmp_path, port)
    out = tmp_path / "etc"
    args = ["broker-config", "--config", str(site.path), "--out", str(out), "--generate-secrets",
            "--standalone"] + (["--user", "root"] if os.geteuid() == 0 else [])
    r = antrian(*args)
    assert r.returncode == 0, r.stderr
    conf = (out / "antrian.conf").read_text().splitlines()
    assert f"persistence_location {out.resolve()}/mosquitto-data/" in conf
    assert f"listener {port} 127.0.0.1" in conf
    assert not any("/var/lib/mosquitto" in line for line in conf)
    secrets = tomllib.loads((tmp_path / "secrets.toml").read_text())["passwords"]
    with Mosquitto(tmp_path, port=port, config=out / "antrian.conf"):
        assert connack(port, "queue", secrets["queue"]) == 0
    assert (out / "mosquitto-data" / "mosquitto.db").exists()
