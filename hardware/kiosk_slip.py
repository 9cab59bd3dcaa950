"""What a kiosk prints for a ticket event, from untrusted data (issue 12). Pure (no device).

    if printable(event, site, now):
        data = render(build_slip(site, cfg, event, standard, reprint=False))

The event and the service's standard come from the queue's messages: every value is checked
before it reaches the slip (a ticket label, one of the site's services, finite numbers in sane
ranges, an issue time near now, text without control characters), so a slip never fails to
print and a pending reprint never fails for good.
"""

from __future__ import annotations

import logging
import math
import re
from datetime import datetime
from urllib.parse import quote

from antrian.config import Site
from hardware.config import KioskConfig
from hardware.ticket import Slip
from mqtt.consumer import SERVICE_DAY, TICKET_LABEL, clean_text

log = logging.getLogger(__name__)

KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}\Z")        # ticketing.keys: base64url
MAX_CLOCK_SKEW_S = 2 * 86400      # a ticket "issued" further from now than this is not printed


def _number(value, low: float, high: float) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
            and low <= value <= high:
        return value
    return None


def printable(event: dict, site: Site, now: float) -> bool:
    """Whether a ticket event can be printed as it is: a ticket label, one of the site's
    services, a count ahead, and an issue time near now."""
    ahead = event.get("ahead")
    return (isinstance(event.get("ticket"), str) and bool(TICKET_LABEL.match(event["ticket"]))
            and event.get("service") in site.services
            and isinstance(ahead, int) and _number(ahead, 0, 1_000_000) is not None
            and _number(event.get("issued_at"), now - MAX_CLOCK_SKEW_S,
                        now + MAX_CLOCK_SKEW_S) is not None)


def ticket_url(site: Site, cfg: KioskConfig, event: dict) -> str | None:
    """What the slip's QR code opens: the visitor's own ticket page with the day and the
    ticket's key (``/t/<ticket>?d=<day>&k=<key>``), where they follow it and rate the service.
    Without a usable key from the queue the QR still opens the page, without ``k`` (logged)."""
    base = (site.public_url or "").rstrip("/")
    ticket = quote(event["ticket"], safe="")
    day = event.get("day")
    day = day if isinstance(day, str) and SERVICE_DAY.match(day) else None
    key = event.get("key")
    if not (isinstance(key, str) and KEY.match(key)):
        if key is not None:
            log.error("ticket %s: its key is not a key (%s); printing the QR without it",
                      event["ticket"], clean_text(repr(key), 40))
        else:
            log.warning("ticket %s came without a key: the QR has none (the visitor cannot rate "
                        "the service from it)", event["ticket"])
        key = None
    if cfg.ticket_url:
        return clean_text(cfg.ticket_url.format(
            public_url=base, ticket=ticket, service=quote(event["service"], safe=""),
            kiosk=quote(cfg.kiosk, safe=""), day=day or "", key=key or ""), 500)
    if not base:
        return None
    query = "&".join(f"{k}={v}" for k, v in (("d", day), ("k", key)) if v)
    return clean_text(f"{base}/t/{ticket}" + (f"?{query}" if query else ""), 500)


def build_slip(site: Site, cfg: KioskConfig, event: dict, standard: dict | None, *,
               reprint: bool) -> Slip:
    """The slip of a printable ticket event, with the service's published standard."""
    service = site.services.get(event["service"])
    standard = standard if isinstance(standard, dict) else {}
    reqs = standard.get("requirements")
    fee = standard.get("fee")
    return Slip(site_title=site.title,
                agency=service.agency if service else "",
                service=service.name if service else event["service"],
                ticket=event["ticket"],
                issued_at=datetime.fromtimestamp(event["issued_at"], site.tz),
                ahead=event["ahead"],
                est_wait_s=_number(event.get("est_wait_s"), 0, 7 * 86400),
                url=ticket_url(site, cfg, event), kiosk_name=cfg.name,
                priority=event.get("priority") is True, reprint=reprint,
                fee=clean_text(fee, 80) if isinstance(fee, str) else None,
                duration_minutes=_number(standard.get("duration_minutes"), 0.01, 100_000),
                requirements=tuple(clean_text(r, 140) for r in reqs[:50] if isinstance(r, str))
                if isinstance(reqs, list) else ())
