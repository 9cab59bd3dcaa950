"""Run ``antrian ARGS...`` and write its memory (resident set) to a JSON file as it runs.

    $ python3 rss_probe.py --out rss.json --every 5 -- display --config site.toml --board lobby

Under qemu-user the process the kernel sees is qemu itself, so its VmRSS also counts the
emulator (its translated-code cache, its own heap). A Pi runs no qemu. The figure a Pi's kernel
would report is the part of that RSS which backs the *guest's* memory: qemu's own view of the
guest mappings is ``/proc/self/maps`` (qemu emulates that file, in guest addresses), while
``/proc/self/smaps`` (passed through) has the host's resident kilobytes per mapping. The guest RSS
is the sum of the host RSS over the mappings that lie inside guest ones. Run natively, both files
describe the same mappings and the two figures agree.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path


def _ranges(text: str) -> list[tuple[int, int, int, str]]:
    """(start, end, file offset, path) of each mapping line of a maps/smaps text."""
    out = []
    for line in text.splitlines():
        head = line.split(maxsplit=5)
        if len(head) >= 5 and "-" in head[0] and not head[0].endswith(":"):
            try:
                start, end = (int(v, 16) for v in head[0].split("-"))
                offset = int(head[2], 16)
            except ValueError:
                continue
            out.append((start, end, offset, head[5].strip() if len(head) == 6 else ""))
    return out


def _smaps_rss(text: str) -> list[tuple[int, int, int, str, int]]:
    """(start, end, offset, path, rss kB) per mapping of /proc/self/smaps."""
    rows: list[list] = []
    for line in text.splitlines():
        mapping = _ranges(line)
        if mapping:
            rows.append([*mapping[0], 0])
        elif line.startswith("Rss:") and rows:
            rows[-1][4] = int(line.split()[1])
    return [tuple(r) for r in rows]


def guest_offset(guest, host) -> int:
    """host address - guest address, from the first file mapping both views share."""
    host_by_key = {(path, off): start for start, _, off, path, _ in host if path.startswith("/")}
    for start, _, off, path in guest:
        if (path, off) in host_by_key:
            return host_by_key[(path, off)] - start
    return 0


def guest_rss_kb(maps: str, smaps: str) -> tuple[float, int]:
    """(kB of host RSS backing the guest's mappings, the guest-to-host address offset)."""
    guest = _ranges(maps)
    host = _smaps_rss(smaps)
    shift = guest_offset(guest, host)
    spans = sorted((s + shift, e + shift) for s, e, _, _ in guest)
    kb = 0.0
    for start, end, _, _, rss in host:
        inside = sum(max(0, min(end, e) - max(start, s)) for s, e in spans
                     if s < end and e > start)
        kb += rss * inside / (end - start)
    return kb, shift


def measure() -> dict:
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text()
                  .splitlines() if ":" in line)
    kb, shift = guest_rss_kb(Path("/proc/self/maps").read_text(),
                             Path("/proc/self/smaps").read_text())
    return {"process_rss_mb": round(int(status["VmRSS"].split()[0]) / 1024, 1),
            "guest_rss_mb": round(kb / 1024, 1), "guest_offset": shift}


def watch(out: Path, every: float) -> None:
    started = time.monotonic()
    samples = []
    while True:
        time.sleep(every)
        try:
            sample = measure()
        except Exception as e:   # never take the board down with the probe
            sample = {"error": repr(e)}
        sample["after_s"] = round(time.monotonic() - started, 1)
        samples.append(sample)
        out.write_text(json.dumps(samples, indent=1))


def main() -> int:
    args = sys.argv[1:]
    if len(args) < 5 or args[0] != "--out" or args[2] != "--every" or args[4] != "--":
        print(__doc__.splitlines()[2].strip(), file=sys.stderr)
        return 2
    out, every = Path(args[1]), float(args[3])
    threading.Thread(target=watch, args=(out, every), daemon=True, name="rss-probe").start()
    from antrian.cli import main as antrian
    return antrian(args[5:])


if __name__ == "__main__":
    sys.exit(main())
