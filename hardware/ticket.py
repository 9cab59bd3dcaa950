"""The printed ticket: a slip laid out in ESC/POS bytes, in Indonesian. Pure (no device).

    slip = Slip(site_title="Mal Pelayanan Publik Kota Bogor", agency="Disdukcapil",
                service="Perekaman KTP-el", ticket="A016", issued_at=dt, ahead=2,
                est_wait_s=540, url="http://antrian.local:8080/")
    data = render(slip)       # bytes for any ESC/POS printer (python-escpos' Dummy records them)

The number is printed as large as the printer allows (8x); the QR code is rendered as an
image, which every ESC/POS printer prints (the native QR command is missing on many cheap ones).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import datetime

from mqtt.consumer import clean_text
from ticketing.calendar_id import tanggal

ZONES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA",
         "Asia/Jayapura": "WIT"}
PAPER_PX = {58: 384, 80: 576}


@dataclass(frozen=True)
class Slip:
    site_title: str
    agency: str
    service: str
    ticket: str
    issued_at: datetime            # aware, in the site's time zone
    ahead: int
    est_wait_s: float | None = None
    url: str | None = None
    kiosk_name: str = ""
    priority: bool = False
    reprint: bool = False
    # the service's published standard (Standar Pelayanan), when it has one
    fee: str | None = None
    duration_minutes: float | None = None
    requirements: tuple[str, ...] = ()


REQUIREMENTS_MAX_CHARS = 140   # longer lists are on the page (the QR code), not on the slip
REQUIREMENTS_MAX_ITEMS = 5


def indonesian_datetime(when: datetime) -> str:
    """``Sabtu, 28 November 2026 10.15 WIB`` (Indonesian writes the time with a dot)."""
    zone = ZONES.get(getattr(when.tzinfo, "key", ""), when.strftime("%Z"))
    return f"{tanggal(when.date())} {when:%H.%M} {zone}".rstrip()


def wait_text(est_wait_s: float | None) -> str | None:
    if est_wait_s is None:
        return None
    minutes = round(est_wait_s / 60)
    if minutes < 1:
        return "Perkiraan waktu tunggu: kurang dari 1 menit"
    if minutes < 60:
        return f"Perkiraan waktu tunggu: sekitar {minutes} menit"
    hours, rest = divmod(minutes, 60)
    return f"Perkiraan waktu tunggu: sekitar {hours} jam {rest} menit" if rest else \
        f"Perkiraan waktu tunggu: sekitar {hours} jam"


def standard_text(fee: str | None, duration_minutes: float | None) -> str | None:
    """``Biaya: Gratis - Standar waktu layanan: 15 menit``."""
    parts = []
    if fee:
        parts.append(f"Biaya: {fee}")
    if duration_minutes:
        parts.append(f"Standar waktu layanan: {duration_minutes:g} menit")
    return " - ".join(parts) or None


def requirements_lines(requirements: tuple[str, ...]) -> list[str] | None:
    """The requirements when they fit a slip; None when they are too long to print."""
    if not requirements:
        return []
    if len(requirements) > REQUIREMENTS_MAX_ITEMS or \
            sum(len(r) for r in requirements) > REQUIREMENTS_MAX_CHARS:
        return None
    return [f"- {r}" for r in requirements]


def ahead_text(ahead: int) -> str:
    return "Tidak ada antrean di depan Anda" if ahead <= 0 else \
        f"Antrean di depan Anda: {ahead} orang"


def _printer(profile: str | None, paper_mm: int):
    from escpos.printer import Dummy
    p = Dummy(profile=profile)
    width = p.profile.profile_data.get("media", {}).get("width", {})
    if not isinstance(width.get("pixels"), int):
        # The default profile knows no width; centring needs one (FIELD-NOTES).
        width["pixels"] = PAPER_PX.get(paper_mm, 576)
    return p


def _ascii(text: str, limit: int = 500) -> str:
    """Thermal printers' code pages vary: keep to what every one prints. Control and format
    characters go first (issue 12): an ESC or GS in a name from the config or a text from the
    queue would otherwise be a printer command (cut, feed, a code page, a logo)."""
    return clean_text(text, limit).replace("–", "-").replace("—", "-").replace("·", "-").encode(
        "ascii", "replace").decode()


def render(slip: Slip, *, profile: str | None = None, paper_mm: int = 80) -> bytes:
    p = _printer(profile, paper_mm)
    p.hw("INIT")
    p.set(align="center", bold=True)
    p.textln(_ascii(slip.site_title))
    p.set(align="center", bold=False)
    p.textln(_ascii(slip.kiosk_name) if slip.kiosk_name else "")
    p.textln("-" * 32)
    p.set(align="center", bold=True, double_height=True, double_width=True)
    p.textln(_ascii(slip.agency))
    p.set(align="center", bold=False, normal_textsize=True)
    p.textln(_ascii(slip.service))
    p.ln()
    p.textln("Nomor antrean Anda")
    p.set(align="center", bold=True, custom_size=True, width=8 if len(slip.ticket) <= 5 else 6,
          height=8)
    p.textln(_ascii(slip.ticket))
    p.set(align="center", bold=False, normal_textsize=True)
    if slip.priority:
        p.set(align="center", bold=True, normal_textsize=True)
        p.textln("PRIORITAS")
        p.set(align="center", bold=False, normal_textsize=True)
    p.ln()
    p.textln(_ascii(indonesian_datetime(slip.issued_at)))
    p.textln(_ascii(ahead_text(slip.ahead)))
    wait = wait_text(slip.est_wait_s)
    if wait:
        p.textln(_ascii(wait))
    standard = standard_text(slip.fee, slip.duration_minutes)
    if standard:
        p.textln(_ascii(standard))
    reqs = requirements_lines(slip.requirements)
    if reqs:
        p.set(align="left")
        p.textln("Persyaratan:")
        for line in reqs:
            p.textln(_ascii(line))
        p.set(align="center")
    elif reqs is None and slip.url:
        p.textln("Persyaratan lengkap: pindai kode QR")
    if slip.url:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p.qr(clean_text(slip.url, 500), size=5, center=True)
        p.textln("Pindai untuk melihat antrean")
    if slip.reprint:
        p.textln("(dicetak ulang)")
    p.ln()
    p.textln("Mohon menunggu hingga nomor Anda dipanggil.")
    p.cut()
    return p.output


def render_test(kiosk: str, when: datetime, lines: list[str], *, profile: str | None = None,
                paper_mm: int = 80) -> bytes:
    """The slip ``identify`` prints: which kiosk this is, and its figures."""
    p = _printer(profile, paper_mm)
    p.hw("INIT")
    p.set(align="center", bold=True, double_height=True, double_width=True)
    p.textln("UJI PRINTER")
    p.set(align="center", bold=False, normal_textsize=True)
    p.textln(_ascii(f"Kios {kiosk}"))
    p.textln(_ascii(indonesian_datetime(when)))
    p.set(align="left")
    for line in lines:
        p.textln(_ascii(line))
    p.cut()
    return p.output
