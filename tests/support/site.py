"""The small test site: three services, three counters, two kiosks."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"

SMALL_SITE = """
site = "test"
title = "MPP Uji"
timezone = "Asia/Jakarta"
reset_at = "00:00"
public_url = "http://antrian.test"

[broker]
host = "127.0.0.1"
port = {port}
keepalive = 5

[[service]]
id = "ktp"
prefix = "A"
name = "Perekaman KTP-el"
agency = "Disdukcapil"

[[service]]
id = "kk"
prefix = "B"
name = "Kartu Keluarga"
agency = "Disdukcapil"

[[service]]
id = "skck"
prefix = "C"
name = "SKCK"
agency = "Polres"

[[counter]]
id = "1"
name = "Loket 1"
services = ["ktp", "kk"]

[[counter]]
id = "2"
name = "Loket 2"
services = ["ktp"]

[[counter]]
id = "3"
name = "Loket 3"
services = ["skck"]

[[kiosk]]
id = "k1"

[[kiosk]]
id = "k2"
services = ["skck"]
"""


def write_site(path: Path, port: int, extra: str = "") -> Path:
    path.write_text(SMALL_SITE.format(port=port) + extra, encoding="utf-8")
    return path
