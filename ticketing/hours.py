"""Opening rules of a service: weekly hours with breaks, last-ticket cutoff, daily quota, closed
dates and national holidays. Pure: the caller gives the local time and the holiday names.

    >>> rules = OpeningRules(week={4: ((time(8), time(11, 30)), (time(13), time(15, 30)))})
    >>> status(rules, datetime(2026, 11, 27, 12, 0), issued=0).text_id     # a Friday
    'Istirahat sampai 13:00'

A service without rules is always open (``OpeningRules()``), so sites that configure none behave
as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

Interval = tuple[time, time]
DAY_NAMES_ID = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


@dataclass(frozen=True)
class OpeningRules:
    """``week`` maps a weekday (0 = Monday) to its opening intervals; a weekday missing from a
    non-empty ``week`` is closed. An empty ``week`` means open all day, every day."""
    week: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)
    last_ticket_minutes: int = 0
    quota: int | None = None
    closed_dates: frozenset[date] = frozenset()
    # date -> holiday name; the site fills it from the `holidays` package (country ID)
    holidays: Mapping[date, str] = field(default_factory=dict)

    @property
    def unrestricted(self) -> bool:
        return not self.week and self.quota is None and not self.closed_dates and not self.holidays


@dataclass(frozen=True)
class Status:
    """Whether a ticket can be taken now, and why not, in Indonesian and English."""
    open: bool
    code: str = "open"          # open, holiday, closed_date, closed_day, not_yet_open, break,
                                # last_ticket, closed, quota
    text_id: str = "Buka"
    text_en: str = "Open"
    until: str | None = None    # HH:MM the status lasts until, when known

    def as_dict(self) -> dict:
        return {"open": self.open, "code": self.code, "text": {"id": self.text_id,
                                                               "en": self.text_en},
                "until": self.until}


OPEN = Status(True)


def _hm(t: time) -> str:
    return t.strftime("%H:%M")


def status(rules: OpeningRules, now: datetime, issued: int) -> Status:
    """The service's status at local time ``now`` with ``issued`` tickets taken today."""
    today = now.date()
    if today in rules.holidays:
        name = rules.holidays[today]
        return Status(False, "holiday", f"Tutup — Hari Libur Nasional ({name})",
                      f"Closed — national holiday ({name})")
    if today in rules.closed_dates:
        return Status(False, "closed_date", "Tutup hari ini", "Closed today")
    if rules.week:
        intervals = rules.week.get(now.weekday(), ())
        if not intervals:
            return Status(False, "closed_day", f"Tutup setiap hari {DAY_NAMES_ID[now.weekday()]}",
                          f"Closed on {now.strftime('%A')}s")
        clock = now.time()
        first_open = intervals[0][0]
        last_close = intervals[-1][1]
        if clock < first_open:
            return Status(False, "not_yet_open", f"Belum buka, buka pukul {_hm(first_open)}",
                          f"Not open yet; opens at {_hm(first_open)}", _hm(first_open))
        cutoff = (datetime.combine(today, last_close)
                  - timedelta(minutes=rules.last_ticket_minutes)).time()
        if clock >= last_close:
            return Status(False, "closed", "Sudah tutup", "Closed for today")
        if rules.last_ticket_minutes and clock >= cutoff:
            return Status(False, "last_ticket", f"Nomor terakhir diambil pukul {_hm(cutoff)}",
                          f"The last ticket was at {_hm(cutoff)}", _hm(last_close))
        for (start, end), (next_start, _) in zip(intervals, intervals[1:]):
            if end <= clock < next_start:
                return Status(False, "break", f"Istirahat sampai {_hm(next_start)}",
                              f"Break until {_hm(next_start)}", _hm(next_start))
        until = next(_hm(end) for start, end in intervals if start <= clock < end)
    else:
        until = None
    if rules.quota is not None and issued >= rules.quota:
        return Status(False, "quota", f"Kuota habis ({rules.quota} nomor)",
                      f"Daily quota of {rules.quota} reached")
    return Status(True, until=until) if until else OPEN


# -- reading the TOML form -----------------------------------------------------------------------

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_intervals(text: str) -> tuple[Interval, ...]:
    """``"08:00-11:30, 13:00-15:30"`` -> intervals; ``"closed"`` -> (). ValueError when bad."""
    text = text.strip().lower()
    if text in ("closed", "tutup", ""):
        return ()
    out: list[Interval] = []
    for part in text.split(","):
        start_s, sep, end_s = part.strip().partition("-")
        if not sep:
            raise ValueError(f"{part.strip()!r} is not HH:MM-HH:MM")
        start, end = _time(start_s), _time(end_s)
        if end <= start:
            raise ValueError(f"{part.strip()!r} ends before it starts")
        if out and start < out[-1][1]:
            raise ValueError(f"{part.strip()!r} overlaps the interval before it")
        out.append((start, end))
    return tuple(out)


def _time(text: str) -> time:
    hh, sep, mm = text.strip().partition(":")
    if not sep or not hh.isdigit() or not mm.isdigit():
        raise ValueError(f"{text.strip()!r} is not HH:MM")
    return time(int(hh), int(mm))


def parse_week(days: Mapping[str, str]) -> dict[int, tuple[Interval, ...]]:
    """``{"mon-thu": "08:00-15:00", "fri": "08:00-11:30,13:00-15:30", "sat": "closed"}``."""
    week: dict[int, tuple[Interval, ...]] = {}
    for key, value in days.items():
        first, _, last = key.lower().partition("-")
        if first not in DAY_KEYS or (last and last not in DAY_KEYS):
            raise ValueError(f"{key!r}: days are {', '.join(DAY_KEYS)} or a range like 'mon-thu'")
        a, b = DAY_KEYS.index(first), DAY_KEYS.index(last or first)
        if b < a:
            raise ValueError(f"{key!r}: a range runs forwards, e.g. 'mon-fri'")
        if not isinstance(value, str):
            raise ValueError(f"{key!r}: expected a string like '08:00-15:00' or 'closed'")
        for d in range(a, b + 1):
            week[d] = parse_intervals(value)
    return week
