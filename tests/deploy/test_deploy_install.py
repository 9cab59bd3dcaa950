"""scripts/install-pi: its plan for each role (--dry-run), and a real install into a throwaway
root (--root) that is upgraded in place and whose units pass systemd-analyze verify."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from deploy_units import ROOT, SYSTEM_UNITS, SYSTEMD, UNIT_DIR, UNITS, analyze, pi_root

SCRIPT = ROOT / "scripts" / "install-pi"


def install_pi(*args: str, env: dict | None = None, check: bool = True,
               timeout: float = 60) -> subprocess.CompletedProcess:
    done = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    if check:
        assert done.returncode == 0, done.stderr
    return done


def plan(root: Path, *args: str) -> list[str]:
    """The lines install-pi prints for a dry run into ``root``."""
    return install_pi("--dry-run", "--root", str(root), *args).stdout.splitlines()


def actions(lines: list[str]) -> list[str]:
    return [line[2:] for line in lines if line.startswith("+ ")]


def skipped(lines: list[str]) -> list[str]:
    return [line[len("skip (--root): "):] for line in lines if line.startswith("skip (--root): ")]


def index(lines: list[str], pattern: str) -> int:
    for i, line in enumerate(lines):
        if re.search(pattern, line):
            return i
    raise AssertionError(f"no line matches {pattern!r} in:\n" + "\n".join(lines))


def apt_packages(lines: list[str]) -> set[str]:
    line = next(s for s in skipped(lines) if s.startswith("apt-get install"))
    return set(line.split()[4:])


# -- arguments ------------------------------------------------------------------------------------

@pytest.mark.parametrize("args,message", [
    ([], "which role?"),
    (["board"], "board needs an id"),
    (["queue", "3"], "queue takes no id"),
    (["counter", "Loket_1"], "must be lowercase letters"),
    (["printer"], "unknown role 'printer'"),
    (["--web", "board", "lobby"], "--web goes with the queue role"),
    (["--site", "/nonexistent.toml", "queue"], "/nonexistent.toml: no such file"),
    (["--bogus", "queue"], "unknown option --bogus"),
])
def test_wrong_arguments_are_refused_with_a_clear_message(tmp_path, args, message):
    done = install_pi("--dry-run", "--root", str(tmp_path / "r"), *args, check=False)
    assert done.returncode == 2
    assert message in done.stderr


def test_a_real_install_needs_root():
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root to drop to another user")
    # The checkout may sit in a folder only root can enter (mktemp -d): give the unprivileged
    # user a copy it can read.
    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o755)
        script = Path(folder) / "install-pi"
        shutil.copy2(SCRIPT, script)
        os.chmod(script, 0o755)
        done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                               str(script), "queue"], capture_output=True, text=True,
                              timeout=30, cwd=folder)
    assert done.returncode == 2
    assert "run as root" in done.stderr


def test_help_names_every_role():
    out = install_pi("--help").stdout
    for role in ("broker", "queue", "board ID", "counter ID", "kiosk ID", "--dry-run", "--root"):
        assert role in out


# -- the plan of each role -------------------------------------------------------------------------

def test_a_dry_run_changes_nothing_even_in_its_root(tmp_path):
    root = tmp_path / "pi"
    lines = plan(root, "counter", "1")
    assert not root.exists()
    assert "# dry run: nothing is changed" in lines


def test_a_dry_run_on_this_machine_prints_system_commands_and_changes_nothing():
    watched = [Path("/opt/antrian"), Path("/etc/antrian"), Path("/var/lib/antrian"),
               Path("/usr/local/lib/systemd/system/antrian-board@.service")]
    if any(p.exists() for p in watched):
        pytest.skip("Antrian is installed on this machine")
    lines = install_pi("--dry-run", "board", "lobby").stdout.splitlines()
    assert not any(p.exists() for p in watched)
    assert not skipped(lines)
    acts = actions(lines)
    assert "systemctl enable antrian-board@lobby.service" in acts
    assert any(a.startswith("runuser -u antrian -- /opt/antrian/venv/bin/antrian voice build")
               for a in acts)


@pytest.mark.parametrize("role", [["broker"], ["queue"], ["board", "lobby"], ["counter", "1"],
                                  ["kiosk", "k1"]])
def test_every_role_gets_the_account_the_venv_and_the_example_config(tmp_path, role):
    root = tmp_path / "pi"
    lines = plan(root, *role)
    skips = skipped(lines)
    assert any(s.startswith("useradd --system --user-group --home-dir /var/lib/antrian")
               and s.endswith(" antrian") for s in skips)
    acts = actions(lines)
    assert f"python3 -m venv {root}/opt/antrian/venv" in acts
    extras = "[pi]" if role[0] in ("counter", "kiosk") else ""
    assert (f"{root}/opt/antrian/venv/bin/python -m pip install --upgrade "
            f"--disable-pip-version-check {ROOT}{extras}") in acts
    assert f"install -D -m 0644 {ROOT}/examples/mpp.toml {root}/etc/antrian/site.toml" in acts
    assert {"python3", "python3-venv", "mosquitto-clients"} <= apt_packages(lines)
    # Ordering: the program and its config are in place before systemd starts anything.
    assert index(lines, r"pip install") < index(lines, r"systemctl daemon-reload") \
        < index(lines, r"systemctl enable") < index(lines, r"systemctl restart --no-block")
    assert index(lines, r"site\.toml") < index(lines, r"systemctl restart")


@pytest.mark.parametrize("role", [["broker"], ["queue", "--web"], ["board", "lobby"],
                                  ["counter", "1"], ["kiosk", "k1"]])
def test_in_root_mode_every_write_stays_inside_the_root(tmp_path, role):
    root = tmp_path / "pi"
    for action in actions(plan(root, *role)):
        for word in action.split()[1:]:
            path = word.split("[")[0]
            if path.startswith("/") and not path.startswith(str(ROOT)):
                assert path.startswith(str(root)), action


def test_queue_plan(tmp_path):
    root = tmp_path / "pi"
    lines = plan(root, "queue")
    assert "sqlite3" in apt_packages(lines)
    acts = actions(lines)
    for name in ("antrian-queue.service", "antrian-web.service"):
        assert f"install -D -m 0644 {SYSTEMD}/{name} {root}/{UNIT_DIR}/{name}" in acts
    skips = skipped(lines)
    assert "systemctl enable antrian-queue.service" in skips
    assert "systemctl restart --no-block antrian-queue.service" in skips
    # The visitors' page only on request.
    assert not any("antrian-web" in s for s in skips)
    web = skipped(plan(root, "queue", "--web"))
    assert "systemctl enable antrian-queue.service antrian-web.service" in web


def test_board_plan(tmp_path):
    root = tmp_path / "pi"
    lines = plan(root, "board", "lobby")
    assert {"libdrm2", "libgbm1", "libegl1", "libgles2", "libgl1-mesa-dri", "fonts-dejavu-core",
            "espeak-ng", "sox", "alsa-utils"} <= apt_packages(lines)
    skips = skipped(lines)
    assert "usermod --append --groups video,render,input,audio antrian" in skips
    assert ("runuser -u antrian -- /opt/antrian/venv/bin/antrian voice build "
            "--config /etc/antrian/site.toml") in skips
    assert "systemctl disable getty@tty1.service" in skips
    assert "systemctl enable antrian-board@lobby.service" in skips
    acts = actions(lines)
    assert f"install -d -m 0750 {root}/var/lib/antrian/voice" in acts
    assert f"install -d -m 0750 {root}/var/cache/antrian" in acts
    # The voice pack is built once the program and the config are there.
    assert index(lines, "pip install") < index(lines, "voice build")
    assert index(lines, r"site\.toml") < index(lines, "voice build")


def test_counter_plan(tmp_path):
    root = tmp_path / "pi"
    lines = plan(root, "counter", "1")
    skips = skipped(lines)
    assert "groupadd --system gpio" in skips
    assert "usermod --append --groups gpio antrian" in skips
    assert "udevadm trigger --subsystem-match=gpio" in skips
    assert "systemctl enable antrian-counter@1.service" in skips
    acts = actions(lines)
    assert (f"install -D -m 0644 {SYSTEMD}/udev/60-antrian-gpio.rules "
            f"{root}/etc/udev/rules.d/60-antrian-gpio.rules") in acts


def test_kiosk_plan(tmp_path):
    root = tmp_path / "pi"
    lines = plan(root, "kiosk", "k1")
    skips = skipped(lines)
    # the example's kiosk k1 has a touch screen: the screen's groups join the printer's
    assert "usermod --append --groups lp,dialout,gpio,video,render,input antrian" in skips
    assert "systemctl enable antrian-kiosk@k1.service" in skips
    k2 = skipped(plan(tmp_path / "pi2", "kiosk", "k2"))
    assert "usermod --append --groups lp,dialout,gpio antrian" in k2
    acts = actions(lines)
    assert (f"install -D -m 0644 {SYSTEMD}/udev/60-antrian-printer.rules "
            f"{root}/etc/udev/rules.d/60-antrian-printer.rules") in acts


TOUCH_SITE = """
site = "uji"
[[service]]
id = "ktp"
prefix = "A"
name = "Perekaman KTP-el"
agency = "Disdukcapil"
[[counter]]
id = "1"
services = ["ktp"]
[[kiosk]]
id = "k1"
touch = true
"""


def test_a_touch_kiosk_gets_the_screen_packages_groups_and_console_dropin(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text(TOUCH_SITE)
    root = tmp_path / "pi"
    lines = plan(root, "--site", str(site), "kiosk", "k1")
    assert {"libgbm1", "libegl1", "libgl1-mesa-dri", "fonts-dejavu-core"} <= apt_packages(lines)
    skips = skipped(lines)
    assert "usermod --append --groups lp,dialout,gpio,video,render,input antrian" in skips
    assert "systemctl disable getty@tty1.service" in skips
    dropin = f"{root}/etc/systemd/system/antrian-kiosk@k1.service.d/touch.conf"
    assert f"install -D -m 0644 {SYSTEMD}/antrian-kiosk-touch.conf {dropin}" in actions(lines)

    # touch turned off later: the drop-in goes, the screen groups are not asked for.
    Path(dropin).parent.mkdir(parents=True)
    Path(dropin).write_text("[Service]\n")
    site.write_text(TOUCH_SITE.replace("touch = true", "touch = false"))
    lines = plan(root, "--site", str(site), "kiosk", "k1")
    assert f"rm -f {dropin}" in actions(lines)
    assert "usermod --append --groups lp,dialout,gpio antrian" in skipped(lines)
    assert "libgbm1" not in apt_packages(lines)


def test_broker_plan(tmp_path):
    root = tmp_path / "pi"
    lines = plan(root, "broker")
    assert {"mosquitto", "mosquitto-clients"} <= apt_packages(lines)
    acts = actions(lines)
    assert (f"install -D -m 0644 {SYSTEMD}/mosquitto.service.d/antrian.conf "
            f"{root}/etc/systemd/system/mosquitto.service.d/antrian.conf") in acts
    assert f"install -D -m 0644 {SYSTEMD}/mosquitto.conf {root}/etc/antrian/mosquitto.conf" in acts
    assert f"install -d -m 0750 {root}/etc/antrian/mosquitto" in acts
    skips = skipped(lines)
    assert ("/opt/antrian/venv/bin/antrian broker-config --config /etc/antrian/site.toml "
            "--out /etc/antrian/mosquitto --generate-secrets "
            "--device-secrets /etc/antrian/device-secrets") in skips
    assert f"install -d -m 0700 {root}/etc/antrian/device-secrets" in acts
    assert f"chown root:mosquitto {root}/etc/antrian/mosquitto" in skips
    # The generator writes a new secrets file 0600 root; the queue service must read it.
    assert f"chown root:antrian {root}/etc/antrian/secrets.toml" in skips
    assert f"chmod 0640 {root}/etc/antrian/secrets.toml" in skips
    assert "systemctl restart --no-block mosquitto.service" in skips
    assert index(lines, "chown root:mosquitto") < index(lines, "broker-config") \
        < index(lines, "chmod 0640") < index(lines, "systemctl restart")


@pytest.mark.parametrize("role, reason", [
    # counter 12 exists in the example, but has no [[panel]]: its unit would exit with status 2
    (["counter", "12"], "counter 12: panel: no [[panel]] with counter = '12'"),
    (["counter", "999"], "counter: unknown counter '999'"),
    (["board", "hall"], "board: no board 'hall' (known: lobby, "),
    (["kiosk", "k9"], "kiosk: unknown kiosk 'k9'"),
])
def test_a_role_the_site_file_cannot_start_is_refused_before_anything_is_installed(
        tmp_path, role, reason):
    root = tmp_path / "pi"
    done = install_pi("--root", str(root), *role, check=False)
    assert done.returncode == 2
    assert reason in done.stderr and "nothing installed" in done.stderr
    assert not any(root.rglob("*")) and not [line for line in done.stdout.splitlines()
                                             if line.startswith(("+ ", "skip"))]


def test_a_misspelt_key_in_the_given_site_file_is_refused_before_anything_is_installed(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text((ROOT / "examples/mpp.toml").read_text().replace(
        'paper_mm = ', 'paper_mn = ', 1))
    done = install_pi("--root", str(tmp_path / "pi"), "--site", str(site), "queue", check=False)
    assert done.returncode == 2 and "unknown key 'paper_mn'" in done.stderr
    quiet = install_pi("--dry-run", "--root", str(tmp_path / "pi"), "counter", "1")
    assert "warning" not in quiet.stderr


# -- upgrades keep what the technician made ------------------------------------------------------

def example_site(name: str) -> str:
    """The example site under another name: a site file install-pi accepts."""
    return (ROOT / "examples/mpp.toml").read_text().replace('site = "bogor"', f'site = "{name}"')


def test_an_existing_site_file_is_kept(tmp_path):
    root = tmp_path / "pi"
    (root / "etc/antrian").mkdir(parents=True)
    (root / "etc/antrian/site.toml").write_text(example_site("bogor"))
    lines = plan(root, "queue")
    assert "# keep /etc/antrian/site.toml" in lines
    assert not any("site.toml" in a and "install" in a for a in actions(lines))


def test_site_option_replaces_the_file_and_keeps_a_backup(tmp_path):
    root = tmp_path / "pi"
    (root / "etc/antrian").mkdir(parents=True)
    (root / "etc/antrian/site.toml").write_text(example_site("old"))
    new = tmp_path / "site.toml"
    new.write_text(example_site("new"))
    acts = actions(plan(root, "--site", str(new), "queue"))
    backup = next(a for a in acts if a.startswith("cp -p"))
    assert re.fullmatch(rf"cp -p {root}/etc/antrian/site\.toml "
                        rf"{root}/etc/antrian/site\.toml\.bak-\d{{8}}-\d{{6}}", backup)
    assert f"install -D -m 0644 {new} {root}/etc/antrian/site.toml" in acts
    same = plan(root, "--site", str(root / "etc/antrian/site.toml"), "queue")
    assert not any(a.startswith("cp -p") for a in actions(same))


def test_secrets_are_readable_by_root_and_the_account_only(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("[passwords]\nqueue = \"x\"\n")
    lines = plan(tmp_path / "pi", "--secrets", str(secrets), "queue")
    assert f"install -D -m 0640 {secrets} {tmp_path}/pi/etc/antrian/secrets.toml" in actions(lines)
    assert f"chown root:antrian {tmp_path}/pi/etc/antrian/secrets.toml" in skipped(lines)


def test_an_edited_mosquitto_conf_is_kept_and_the_new_one_goes_next_to_it(tmp_path):
    root = tmp_path / "pi"
    (root / "etc/antrian").mkdir(parents=True)
    (root / "etc/antrian/mosquitto.conf").write_text("# edited\n")
    lines = plan(root, "broker")
    assert (f"install -D -m 0644 {SYSTEMD}/mosquitto.conf "
            f"{root}/etc/antrian/mosquitto.conf.dist") in actions(lines)
    shutil.copy(SYSTEMD / "mosquitto.conf", root / "etc/antrian/mosquitto.conf")
    assert "# keep /etc/antrian/mosquitto.conf (unchanged)" in plan(root, "broker")


# -- a real install into a throwaway root ---------------------------------------------------------

def source_copy(dest: Path) -> Path:
    """The project as a technician's checkout holds it (pip builds in the tree it is given)."""
    skip = {".venv", ".git", "tests", "var", "out", "build", "bench", ".pytest_cache",
            ".hypothesis"}
    shutil.copytree(ROOT, dest, ignore=lambda d, names: [
        n for n in names if (Path(d) == ROOT and n in skip) or n == "__pycache__"
        or n.endswith(".egg-info")])
    return dest


@pytest.mark.slow
def test_install_into_a_root_then_upgrade_in_place_keeps_config_and_data(tmp_path):
    root = tmp_path / "pi"
    src = source_copy(tmp_path / "src")
    # The dependencies are not what is tested here: pip installs the project alone.
    env = {"PIP_NO_DEPS": "1"}
    install_pi("--root", str(root), "--source", str(src), "counter", "1", env=env, timeout=300)

    antrian = root / "opt/antrian/venv/bin/antrian"
    assert antrian.is_file() and os.access(antrian, os.X_OK)
    units = root / UNIT_DIR
    assert (units / "antrian-counter@.service").read_bytes() == \
        (SYSTEMD / "antrian-counter@.service").read_bytes()
    assert (root / "etc/antrian/site.toml").read_bytes() == \
        (ROOT / "examples/mpp.toml").read_bytes()
    assert (root / "etc/udev/rules.d/60-antrian-gpio.rules").is_file()
    assert (root / "opt/antrian/doc/deploy.md").is_file()
    assert (root / "var/lib/antrian").is_dir()

    # The technician edits the site, the panel has data; a new release comes.
    edited = (ROOT / "examples/mpp.toml").read_text().replace('site = "bogor"', 'site = "edited"')
    (root / "etc/antrian/site.toml").write_text(edited)
    (root / "var/lib/antrian/counter-1.outbox.db").write_bytes(b"presses")
    (src / "antrian" / "release_marker.py").write_text("RELEASE = 2\n")
    install_pi("--root", str(root), "--source", str(src), "queue", env=env, timeout=300)

    assert (root / "etc/antrian/site.toml").read_text() == edited
    assert (root / "var/lib/antrian/counter-1.outbox.db").read_bytes() == b"presses"
    installed = list((root / "opt/antrian/venv/lib").glob("python3*/site-packages/antrian"))
    assert installed and (installed[0] / "release_marker.py").read_text() == "RELEASE = 2\n"
    assert (units / "antrian-queue.service").is_file()
    assert (units / "antrian-counter@.service").is_file()

    if shutil.which("systemd-analyze") is None or not SYSTEM_UNITS.is_dir():
        pytest.skip("systemd-analyze is not installed: the installed units were not verified")
    pi_root(root, units=False, antrian=False)  # systemd's own units next to the installed ones
    for instance in ("antrian-counter@1.service", "antrian-queue.service"):
        done = analyze("verify", f"--root={root}", instance)
        assert done.returncode == 0 and done.stdout + done.stderr == "", done.stderr


def test_the_plan_installs_every_unit_file_the_repo_ships(tmp_path):
    """No unit in systemd/ is forgotten by install-pi."""
    installed = set()
    touch = tmp_path / "touch.toml"
    touch.write_text(TOUCH_SITE)
    for role in (["broker"], ["queue"], ["board", "lobby"], ["counter", "1"], ["kiosk", "k2"],
                 ["--site", str(touch), "kiosk", "k1"]):
        for action in actions(plan(tmp_path / "pi", *role)):
            if action.startswith("install -D"):
                installed.add(action.split()[4])
    shipped = {str(p) for p in SYSTEMD.rglob("*") if p.is_file()}
    assert shipped <= installed, shipped - installed
    assert {str(SYSTEMD / u) for u in UNITS} <= installed


def test_the_script_parses_and_passes_shellcheck():
    assert subprocess.run(["bash", "-n", str(SCRIPT)]).returncode == 0
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (Debian package `shellcheck`)")
    done = subprocess.run(["shellcheck", str(SCRIPT)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("ANTRIAN_OFFLINE_CHECK") != "1",
                    reason="~1 min of pip: run by `make offline-check` (CI runs it)")
def test_the_offline_recipe_of_deploy_md_installs_with_no_index(tmp_path):
    """docs/deploy.md's recipe for a building without internet: a wheelhouse made elsewhere
    (`make wheelhouse`: the dependencies, setuptools and wheel), then install-pi with pip's
    index off. Without setuptools in the wheelhouse, pip cannot build the checkout (issue 16)."""
    src = source_copy(tmp_path / "src")
    wheels = tmp_path / "wheels"
    made = subprocess.run(["make", "-s", "-C", str(ROOT), "wheelhouse", f"WHEELS={wheels}",
                           "WHEELHOUSE_EXTRAS="], capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    assert list(wheels.glob("setuptools-*.whl")) and list(wheels.glob("wheel-*.whl"))
    root = tmp_path / "pi"
    env = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels), "PIP_EXTRA_INDEX_URL": ""}
    # the queue role: no [pi] extra (lgpio has no wheel for this machine; a Pi gets it)
    install_pi("--root", str(root), "--source", str(src), "queue", env=env, timeout=600)
    antrian = root / "opt/antrian/venv/bin/antrian"
    done = subprocess.run([str(antrian), "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "0." in done.stdout + done.stderr
    # every dependency came from the wheelhouse: pygame-ce, paho-mqtt... import in the venv
    python = root / "opt/antrian/venv/bin/python"
    imports = subprocess.run([str(python), "-c", "import pygame, paho.mqtt, msgspec, aiohttp"],
                             capture_output=True, text=True, timeout=60)
    assert imports.returncode == 0, imports.stderr


def test_the_web_gets_its_own_account_and_only_its_own_secrets_file(tmp_path):
    root = tmp_path / "pi"
    (root / "etc/antrian/device-secrets").mkdir(parents=True)
    (root / "etc/antrian/device-secrets/web-secrets.toml").write_text('[passwords]\nweb = "w"\n')
    done = install_pi("--dry-run", "--root", str(root), "--web", "queue")
    lines = done.stdout.splitlines()
    assert any(s.startswith("useradd --system --user-group --groups antrian")
               and s.endswith(" antrian-web") for s in skipped(lines))
    assert (f"install -D -m 0600 {root}/etc/antrian/device-secrets/web-secrets.toml "
            f"{root}/etc/antrian/web-secrets.toml") in actions(lines)
    # without the file, the technician is told where it comes from
    bare = install_pi("--dry-run", "--root", str(tmp_path / "bare"), "--web", "queue")
    assert "web-secrets.toml" in bare.stderr and "device-secrets" in bare.stderr
