"""scripts/arm64-proof: its shell, its arguments, and the pure parts of its helpers.

The proof itself (an emulated arm64 root, about an hour cold) is not run here: `make arm64`
(scripts/arm64-proof) does that, and docs/arm64.md has its figures.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "arm64-proof"
HELPERS = ROOT / "scripts" / "arm64"


def helper(name: str):
    spec = importlib.util.spec_from_file_location(f"arm64_{name}", HELPERS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_script_parses_and_passes_shellcheck():
    assert subprocess.run(["bash", "-n", str(SCRIPT)]).returncode == 0
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (Debian package `shellcheck`)")
    done = subprocess.run(["shellcheck", str(SCRIPT)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout


def test_help_says_what_it_does_and_changes_nothing(tmp_path):
    done = subprocess.run([str(SCRIPT), "--help", "--cache", str(tmp_path / "c")],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    assert "usage: arm64-proof" in done.stdout and "--skip-tests" in done.stdout
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("args, says", [
    (["--frobnicate"], "unknown argument --frobnicate"),
    (["--cache"], "--cache needs a directory"),
    (["--pytest-args"], "--pytest-args needs a string"),
])
def test_a_wrong_argument_is_refused_before_anything_happens(args, says):
    done = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert says in done.stderr


def test_a_shared_directory_is_refused_as_the_work_directory():
    # The work directory is removed after the run: never /tmp or /var/tmp themselves.
    done = subprocess.run(["bash", str(SCRIPT), "--work", "/var/tmp"], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 2
    assert "give a directory of its own" in done.stderr or "run as root" in done.stderr


def test_wheels_tells_platform_pure_sdist_and_the_project_apart():
    classify = helper("wheels").classify
    files = "https://files.pythonhosted.org/packages/ab/cd/"
    assert classify(files + "lgpio-0.2.2.0-cp311-cp311-manylinux_2_34_aarch64.whl")[0] \
        == "platform wheel"
    assert classify(files + "gpiozero-2.0.1-py3-none-any.whl")[0] == "pure wheel"
    assert classify(files + "num2words-0.5.14.tar.gz")[0] == "built from sdist"
    assert classify("file:///opt/antrian-src") == ("local", "antrian-src")


def test_wheels_summarizes_pips_report(tmp_path):
    report = {"pip_version": "23.0.1", "install": [
        {"metadata": {"name": "msgspec", "version": "0.19.0"}, "requested": False,
         "download_info": {"url": "https://x/msgspec-0.19.0-cp311-cp311-manylinux_2_17_aarch64"
                                  ".manylinux2014_aarch64.whl"}},
        {"metadata": {"name": "antrian", "version": "0.1.0"}, "requested": True,
         "download_info": {"url": "file:///opt/antrian-src"}}]}
    (tmp_path / "r.json").write_text(json.dumps(report))
    assert helper("wheels").main([str(tmp_path / "r.json"), "--out", str(tmp_path / "w.json")]) == 0
    out = json.loads((tmp_path / "w.json").read_text())
    assert out["pip"] == "pip 23.0.1"
    assert [(d["name"], d["kind"]) for d in out["dists"]] == [
        ("antrian", "local"), ("msgspec", "platform wheel")]


# What qemu-user shows a guest: /proc/self/maps in guest addresses (only the guest's mappings),
# /proc/self/smaps passed through from the host (qemu's own mappings too, at guest + offset).
GUEST_MAPS = """\
00400000-00600000 r-xp 00000000 fe:01 123 /usr/bin/python3.11
00800000-00900000 rw-p 00000000 00:00 0
"""
HOST_SMAPS = """\
5500400000-5500600000 r-xp 00000000 fe:01 123 /usr/bin/python3.11
Size:               2048 kB
Rss:                1000 kB
5500800000-5500900000 rw-p 00000000 00:00 0
Size:               1024 kB
Rss:                 500 kB
7f0000000000-7f0040000000 rwxp 00000000 00:00 0
Size:            1048576 kB
Rss:               90000 kB
7f1000000000-7f1000100000 r-xp 00000000 fe:01 9 /usr/libexec/qemu-binfmt/aarch64-binfmt-P
Size:               1024 kB
Rss:                 800 kB
"""


def test_the_probe_counts_only_the_guests_memory_under_qemu():
    probe = helper("rss_probe")
    guest = probe._ranges(GUEST_MAPS)
    host = probe._smaps_rss(HOST_SMAPS)
    assert [r[4] for r in host] == [1000, 500, 90000, 800]
    assert probe.guest_offset(guest, host) == 0x5500000000
    # The python binary and the guest's heap; not qemu's code cache nor qemu itself.
    assert probe.guest_rss_kb(GUEST_MAPS, HOST_SMAPS) == (1500, 0x5500000000)


def test_the_probe_measures_itself_natively_as_the_kernel_does():
    probe = helper("rss_probe")
    sample = probe.measure()
    # Natively the two views are the same mappings: the guest figure is the process's RSS.
    assert sample["guest_offset"] == 0
    assert abs(sample["guest_rss_mb"] - sample["process_rss_mb"]) < 0.1 * sample["process_rss_mb"]


def test_the_report_says_what_failed(tmp_path):
    (tmp_path / "logs").mkdir()
    (tmp_path / "stages.tsv").write_text("root\t0\t600\ntests\t1\t900\ntotal\t1\t1600\n")
    (tmp_path / "junit.xml").write_text(
        '<testsuites><testsuite tests="3" failures="1" errors="0" skipped="1" time="12.5">'
        '<testcase classname="tests.display.a" name="test_x"/>'
        '<testcase classname="tests.display.a" name="test_y"><failure message="no"/></testcase>'
        '<testcase classname="tests.display.b" name="test_z">'
        '<skipped message="xvfb or imagemagick missing"/></testcase></testsuite></testsuites>')
    assert helper("report").main(["--out", str(tmp_path)]) == 1
    text = (tmp_path / "report.txt").read_text()
    assert "1 passed, 1 failed, 1 skipped of 3" in text
    assert "FAILED tests.display.a::test_y" in text
    assert "xvfb or imagemagick missing" in text
    assert "tests          900  FAILED" in text


def test_the_report_tells_a_failure_that_passed_alone_from_one_that_did_not(tmp_path):
    (tmp_path / "logs").mkdir()
    (tmp_path / "stages.tsv").write_text("tests\t0\t900\n")
    (tmp_path / "junit.xml").write_text(
        '<testsuites><testsuite tests="2" failures="2" errors="0" skipped="0" time="3">'
        '<testcase classname="t.a" name="test_slow"><failure message="timed out"/></testcase>'
        '<testcase classname="t.a" name="test_bad"><failure message="no"/></testcase>'
        '</testsuite></testsuites>')
    (tmp_path / "junit-rerun.xml").write_text(
        '<testsuites><testsuite tests="2" failures="1" errors="0" skipped="0" time="2">'
        '<testcase classname="t.a" name="test_slow"/>'
        '<testcase classname="t.a" name="test_bad"><failure message="no"/></testcase>'
        '</testsuite></testsuites>')
    helper("report").main(["--out", str(tmp_path)])
    text = (tmp_path / "report.txt").read_text()
    assert "FAILED t.a::test_bad" in text
    assert "FAILED t.a::test_slow" not in text
    assert "passed when run again alone (a timeout under emulation?): t.a::test_slow" in text
    assert "run again alone: 1 passed, 1 failed" in text


@pytest.mark.skipif(os.geteuid() != 0, reason="the script refuses to start without root before it looks at the lock")
def test_a_second_run_on_the_same_work_directory_is_refused(tmp_path):
    import fcntl
    work = tmp_path / "work"
    work.mkdir()
    with open(work / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        # An unreachable mirror and an empty cache: were the lock ignored, the run would fail
        # at debootstrap instead of building anything.
        done = subprocess.run([str(SCRIPT), "--work", str(work), "--cache", str(tmp_path / "c"),
                               "--out", str(tmp_path / "o"), "--mirror", "http://127.0.0.1:9/"],
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "another arm64-proof is using" in done.stderr
    assert not (tmp_path / "o").exists()
