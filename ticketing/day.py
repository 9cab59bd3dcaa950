"""The service day: numbering restarts at ``reset_at`` local time, not at UTC midnight."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def service_day(ts: float, tz: ZoneInfo, reset_at: time = time(0, 0)) -> str:
    """The day (``YYYY-MM-DD``) a moment belongs to: before ``reset_at`` it is still yesterday.

    >>> service_day(1764262800.0, ZoneInfo("Asia/Jakarta"))   # 2025-11-28 00:00 WIB
    '2025-11-28'
    """
    local = datetime.fromtimestamp(ts, tz)
    day = local.date()
    if local.time() < reset_at:
        day -= timedelta(days=1)
    return day.isoformat()
