"""Dates and times as visitors in Indonesia read them: "Senin, 1 Desember 2026", "07.30".

One table for the board's date line, the printed slip and the queue's own refusals."""

from __future__ import annotations

from datetime import date

DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember")


def tanggal(day: date) -> str:
    """The day as a slip or a refusal says it.

    >>> tanggal(date(2026, 12, 1))
    'Selasa, 1 Desember 2026'"""
    return f"{DAYS[day.weekday()]}, {day.day} {MONTHS[day.month - 1]} {day.year}"


def pukul(minutes: int) -> str:
    """Minutes after midnight as Indonesian clocks write them (a dot, 24 h).

    >>> pukul(7 * 60 + 30)
    '07.30'"""
    minutes %= 24 * 60
    return f"{minutes // 60:02d}.{minutes % 60:02d}"
