"""The systemd unit files: systemd-analyze verify and security, and what each role is granted."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest

from deploy_units import (ANTRIAN, SYSTEM_UNITS, SYSTEMD, TOUCH_KIOSK, UNITS, analyze,
                          environment, pi_root, read_unit, value, values)

needs_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None or not SYSTEM_UNITS.is_dir(),
    reason="systemd-analyze is not installed (Debian package `systemd`; `make test` installs it)")

# The device groups each role gets, and nothing more.
DEVICE_GROUPS = {
    "antrian-queue.service": set(),
    # the web reads the queue's database (0640, group antrian), it has no device
    "antrian-web.service": {"antrian"},
    "antrian-board@.service": {"video", "render", "input", "audio"},
    "antrian-counter@.service": {"gpio"},
    "antrian-kiosk@.service": {"lp", "dialout", "gpio"},
}
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "ProtectHostname": "yes",
    "RestrictNamespaces": "yes",
    "RestrictRealtime": "yes",
    "RestrictSUIDSGID": "yes",
    "LockPersonality": "yes",
    "SystemCallArchitectures": "native",
    "CapabilityBoundingSet": "",
}


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return pi_root(tmp_path_factory.mktemp("pi"))


# -- systemd-analyze ------------------------------------------------------------------------------

@needs_analyze
@pytest.mark.parametrize("instance", [*UNITS.values(), TOUCH_KIOSK])
def test_systemd_analyze_verify_passes_with_no_warning(root, instance):
    """Unknown keys and bad values are only warnings (exit 0): any output fails the test."""
    done = analyze("verify", f"--root={root}", instance)
    assert done.returncode == 0, done.stderr
    assert done.stdout + done.stderr == ""


@needs_analyze
def test_verify_notices_a_missing_program_so_the_check_is_real(tmp_path):
    root = pi_root(tmp_path, antrian=False)
    done = analyze("verify", f"--root={root}", "antrian-queue.service")
    assert done.returncode != 0
    assert "/opt/antrian/venv/bin/antrian" in done.stderr


@needs_analyze
def test_verify_notices_an_unknown_key_so_the_check_is_real(tmp_path):
    root = pi_root(tmp_path)
    unit = root / "usr/local/lib/systemd/system/antrian-counter@.service"
    unit.write_text(unit.read_text().replace("WatchdogSec=", "WatchdogSecs="))
    done = analyze("verify", f"--root={root}", "antrian-counter@3.service")
    assert "Unknown key 'WatchdogSecs'" in done.stderr


@needs_analyze
def test_the_mosquitto_dropin_verifies_on_debians_mosquitto_service(root):
    if not (SYSTEM_UNITS / "mosquitto.service").exists():
        pytest.skip("Debian's mosquitto package is not installed")
    done = analyze("verify", f"--root={root}", "mosquitto.service")
    assert done.returncode == 0, done.stderr
    assert done.stdout + done.stderr == ""
    shown = analyze("cat-config", f"--root={root}", "systemd/system/mosquitto.service.d/antrian.conf")
    assert "ExecStart=/usr/sbin/mosquitto -c /etc/antrian/mosquitto.conf" in shown.stdout


@needs_analyze
@pytest.mark.parametrize("instance,limit", [
    ("antrian-queue.service", 1.2), ("antrian-web.service", 1.2),
    ("antrian-board@lobby.service", 2.0), ("antrian-counter@12.service", 2.0),
    ("antrian-kiosk@k1.service", 2.0)])
def test_the_exposure_score_stays_low(root, instance, limit):
    done = analyze("security", "--offline=yes", f"--root={root}",
                   f"--threshold={round(limit * 10)}", instance)
    assert done.returncode == 0, done.stdout.splitlines()[-1]


# -- what each unit says -------------------------------------------------------------------------

def unit(name: str) -> dict:
    return read_unit(SYSTEMD / name)


@pytest.mark.parametrize("name", UNITS)
def test_each_program_is_a_notify_service_with_a_watchdog(name):
    u = unit(name)
    assert value(u, "Service", "Type") == "notify"
    assert value(u, "Service", "NotifyAccess") == "main"
    watchdog = value(u, "Service", "WatchdogSec")
    assert watchdog and watchdog.endswith("s") and 10 <= int(watchdog[:-1]) <= 60
    # Python prints every thread's stack when the watchdog's SIGABRT comes: the journal shows
    # where the loop was stuck.
    assert environment(u)["PYTHONFAULTHANDLER"] == "1"
    assert value(u, "Service", "LimitCORE") == "0"


@pytest.mark.parametrize("name", UNITS)
def test_each_unit_restarts_on_failure_within_start_limits(name):
    u = unit(name)
    assert value(u, "Service", "Restart") == "on-failure"
    assert value(u, "Service", "RestartSec")
    # 10 starts in 5 min: a crash loop stops, a broker outage (one start per 3 min) does not.
    assert value(u, "Unit", "StartLimitIntervalSec") == "5min"
    assert value(u, "Unit", "StartLimitBurst") == "10"
    assert value(u, "Service", "RestartPreventExitStatus") == "2"  # config error: cli.py


@pytest.mark.parametrize("name", [u for u in UNITS if u != "antrian-web.service"])
def test_each_unit_runs_as_antrian_with_its_directories(name):
    u = unit(name)
    assert value(u, "Service", "User") == "antrian"
    assert value(u, "Service", "Group") == "antrian"
    assert value(u, "Service", "StateDirectory") == "antrian"
    assert value(u, "Service", "ConfigurationDirectory") == "antrian"
    assert value(u, "Service", "WorkingDirectory") == "/var/lib/antrian"
    assert value(u, "Install", "WantedBy") == "multi-user.target"


@pytest.mark.parametrize("name", UNITS)
def test_each_unit_is_hardened(name):
    u = unit(name)
    for key, expected in HARDENING.items():
        assert value(u, "Service", key) == expected, key
    filters = values(u, "Service", "SystemCallFilter")
    assert "@system-service" in filters
    assert "AF_PACKET" not in value(u, "Service", "RestrictAddressFamilies")


@pytest.mark.parametrize("name,groups", DEVICE_GROUPS.items())
def test_each_role_gets_its_device_groups_and_nothing_more(name, groups):
    u = unit(name)
    granted = set(" ".join(values(u, "Service", "SupplementaryGroups")).split())
    assert granted == groups
    if not groups - {"antrian"}:
        assert value(u, "Service", "PrivateDevices") == "yes"
        assert value(u, "Service", "ProtectClock") == "yes"
    else:
        # Before systemd 253, ProtectClock= adds a device allow-list (char-rtc) that closes every
        # other device: the board would lose /dev/dri, the panel /dev/gpiochip*.
        assert value(u, "Service", "ProtectClock") is None
        assert value(u, "Service", "DeviceAllow") is None
        assert value(u, "Service", "PrivateDevices") is None


def test_the_board_runs_full_screen_on_the_console_of_tty1():
    u = unit("antrian-board@.service")
    env = environment(u)
    assert env["SDL_VIDEODRIVER"] == "kmsdrm"
    assert env["SDL_AUDIODRIVER"] == "alsa"
    assert value(u, "Service", "TTYPath") == "/dev/tty1"
    assert value(u, "Service", "StandardInput") == "tty-fail"
    assert value(u, "Service", "StandardOutput") == "journal"
    assert "getty@tty1.service" in value(u, "Unit", "Conflicts")


def test_a_touch_kiosk_adds_the_screen_and_the_console_to_the_kiosk_unit():
    drop = read_unit(SYSTEMD / "antrian-kiosk-touch.conf")
    assert set(" ".join(values(drop, "Service", "SupplementaryGroups")).split()) == {
        "video", "render", "input"}
    assert environment(drop)["SDL_VIDEODRIVER"] == "kmsdrm"
    assert value(drop, "Service", "TTYPath") == "/dev/tty1"
    assert "getty@tty1.service" in value(drop, "Unit", "Conflicts")
    # The runtime directory it points SDL at is the one the kiosk unit makes.
    assert environment(drop)["XDG_RUNTIME_DIR"] == "%t/" + value(
        unit("antrian-kiosk@.service"), "Service", "RuntimeDirectory")


@needs_analyze
def test_the_touch_dropin_is_merged_into_that_kiosk_only(root):
    shown = analyze("cat-config", f"--root={root}", "systemd/system/" + TOUCH_KIOSK + ".d/touch.conf")
    assert "SupplementaryGroups=video render input" in shown.stdout
    other = analyze("cat-config", f"--root={root}",
                    "systemd/system/antrian-kiosk@k1.service.d/touch.conf")
    assert "SupplementaryGroups" not in other.stdout


def test_the_panel_keeps_lgpio_pipes_in_its_runtime_directory():
    u = unit("antrian-counter@.service")
    assert environment(u)["LG_WD"] == "%t/antrian-counter-%i"
    assert value(u, "Service", "RuntimeDirectory") == "antrian-counter-%i"


@pytest.mark.parametrize("name", UNITS)
def test_logs_go_to_the_journal_under_the_units_name(name):
    u = unit(name)
    assert value(u, "Service", "StandardOutput") in (None, "journal")
    assert value(u, "Service", "StandardError") in (None, "journal")
    ident = value(u, "Service", "SyslogIdentifier")
    assert ident == name.replace("@.service", "-%i").replace(".service", "")


# -- the command lines match the real CLI --------------------------------------------------------

def command(name: str) -> list[str]:
    line = value(unit(name), "Service", "ExecStart")
    argv = shlex.split(line.replace("%i", "x"))
    assert argv[0] == "/" + ANTRIAN
    return argv[1:]


@pytest.mark.parametrize("name", UNITS)
def test_execstart_is_a_command_the_antrian_cli_accepts(name):
    from antrian import cli

    argv = command(name)
    assert argv[argv.index("--config") + 1] == "/etc/antrian/site.toml"
    parser = cli.build_parser()
    known = parser._subparsers._group_actions[0].choices  # the registered subcommands
    if argv[0] not in known:
        pytest.skip(f"`antrian {argv[0]}` is not written yet")
    args = parser.parse_args(argv)  # SystemExit here means the unit calls a wrong command line
    assert callable(args.func)


def test_templates_pass_the_instance_name_as_the_id():
    assert command("antrian-board@.service")[-2:] == ["--board", "x"]
    assert command("antrian-counter@.service")[-2:] == ["--counter", "x"]
    assert command("antrian-kiosk@.service")[-2:] == ["--kiosk", "x"]
    assert command("antrian-queue.service")[-2:] == ["--db", "/var/lib/antrian/queue.db"]


def test_the_mosquitto_dropin_replaces_execstart_and_keeps_debians_other_settings():
    drop = read_unit(SYSTEMD / "mosquitto.service.d/antrian.conf")
    assert values(drop, "Service", "ExecStart") == [
        "", "/usr/sbin/mosquitto -c /etc/antrian/mosquitto.conf"]
    assert set(k for k, _ in drop["Service"]) == {"ExecStart", "Restart", "RestartSec",
                                                  "LimitNOFILE"}


def test_the_web_runs_as_its_own_account_confined_to_its_own_secrets_and_state():
    """Issue 12: the page every phone reaches cannot write the queue's database or read another
    component's password, and a flood of visitors cannot starve the queue service beside it."""
    u = unit("antrian-web.service")
    assert value(u, "Service", "User") == value(u, "Service", "Group") == "antrian-web"
    assert value(u, "Service", "StateDirectory") == "antrian-web"
    assert value(u, "Service", "WorkingDirectory") == "/var/lib/antrian-web"
    assert value(u, "Service", "ReadOnlyPaths") == "-/var/lib/antrian"
    assert "--survey-db /var/lib/antrian-web/survey.db" in " ".join(command("antrian-web.service"))
    assert value(u, "Service", "LoadCredential") == "secrets:/etc/antrian/web-secrets.toml"
    hidden = value(u, "Service", "InaccessiblePaths").split()
    assert {"-/etc/antrian/secrets.toml", "-/etc/antrian/device-secrets",
            "-/etc/antrian/mosquitto"} <= set(hidden)
    assert value(u, "Service", "MemoryMax") == "512M"
    assert value(u, "Service", "CPUQuota") == "150%"
