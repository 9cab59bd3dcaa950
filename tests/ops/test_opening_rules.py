"""Opening hours, breaks, the last-ticket cutoff, quotas and holidays, at their edges."""

from __future__ import annotations

import json
from datetime import date, datetime, time

import pytest

from antrian import config
from antrian.config import ConfigError
from antrian.opening import opening_rules, standards
from support.site import SMALL_SITE
from ticketing.hours import OpeningRules, parse_intervals, parse_week, status

RULES = """
[opening]
days = { "mon-thu" = "08:00-15:00", fri = "08:00-11:30, 13:00-15:30", "sat-sun" = "closed" }
last_ticket_minutes = 30
closed_dates = ["2026-12-24"]
open_dates = ["2026-12-25"]

[opening.agency."Polres"]
days = { "mon-fri" = "07:30-14:00", "sat-sun" = "closed" }
"""


def site_with(extra: str = "", service_extra: str = ""):
    text = SMALL_SITE.format(port=1883).replace(
        'id = "skck"\n', 'id = "skck"\n' + service_extra, 1)
    import tomllib
    return config.parse(tomllib.loads(text + extra))


@pytest.fixture
def rules():
    return opening_rules(site_with(RULES, 'quota = 80\nstandard = { requirements = ["KTP-el asli"], '
                                   'fee = "Gratis", duration_minutes = 15 }\n'),
                         years=range(2026, 2028))


# 2026-11-26 is a Thursday, 2026-11-27 a Friday, 2026-11-28 a Saturday.
@pytest.mark.parametrize("when,code,text", [
    (datetime(2026, 11, 26, 7, 59), "not_yet_open", "Belum buka, buka pukul 08:00"),
    (datetime(2026, 11, 26, 8, 0), "open", "Buka"),
    (datetime(2026, 11, 26, 14, 29), "open", "Buka"),
    (datetime(2026, 11, 26, 14, 30), "last_ticket", "Nomor terakhir diambil pukul 14:30"),
    (datetime(2026, 11, 26, 15, 0), "closed", "Sudah tutup"),
    (datetime(2026, 11, 27, 11, 29), "open", "Buka"),
    (datetime(2026, 11, 27, 11, 30), "break", "Istirahat sampai 13:00"),
    (datetime(2026, 11, 27, 12, 59), "break", "Istirahat sampai 13:00"),
    (datetime(2026, 11, 27, 13, 0), "open", "Buka"),
    (datetime(2026, 11, 27, 15, 0), "last_ticket", "Nomor terakhir diambil pukul 15:00"),
    (datetime(2026, 11, 28, 10, 0), "closed_day", "Tutup setiap hari Sabtu"),
    (datetime(2027, 8, 17, 10, 0), "holiday",
     "Tutup — Hari Libur Nasional (Hari Kemerdekaan Republik Indonesia)"),
    (datetime(2026, 12, 24, 10, 0), "closed_date", "Tutup hari ini"),
    (datetime(2026, 12, 25, 10, 0), "open", "Buka"),        # open_dates beats Christmas
])
def test_a_regular_service_follows_the_week_at_its_edges(rules, when, code, text):
    st = status(rules["ktp"], when, issued=0)
    assert (st.code, st.text_id) == (code, text)
    assert st.open == (code == "open")
    assert st.text_en and st.text_en != st.text_id


def test_an_agency_table_overrides_the_site_hours_for_its_services(rules):
    assert status(rules["skck"], datetime(2026, 11, 26, 7, 45), 0).open
    assert status(rules["ktp"], datetime(2026, 11, 26, 7, 45), 0).code == "not_yet_open"
    # the site's cutoff still applies to Polres: 14:00 - 30 min
    assert status(rules["skck"], datetime(2026, 11, 26, 13, 30), 0).code == "last_ticket"


def test_the_80th_ticket_is_issued_and_the_81st_refused(rules):
    thursday = datetime(2026, 11, 26, 9, 0)
    assert status(rules["skck"], thursday, issued=79).open
    refused = status(rules["skck"], thursday, issued=80)
    assert (refused.code, refused.text_id) == ("quota", "Kuota habis (80 nomor)")
    assert "quota of 80" in refused.text_en


def test_a_site_without_rules_is_always_open_with_no_quota_and_no_holidays():
    rules = opening_rules(site_with())
    assert all(r.unrestricted for r in rules.values())
    assert status(rules["ktp"], datetime(2026, 8, 17, 3, 0), issued=10_000).open


def test_standards_are_read_and_missing_ones_are_empty(rules):
    s = standards(site_with(service_extra='standard = { requirements = ["KTP-el asli"], '
                            'fee = "Gratis", duration_minutes = 15 }\n'))
    assert s["skck"].as_dict() == {"requirements": ["KTP-el asli"], "fee": "Gratis",
                                   "duration_minutes": 15.0}
    assert s["ktp"].requirements == () and s["ktp"].duration_minutes is None


@pytest.mark.parametrize("extra,service_extra,key", [
    ('[opening]\ndays = { moon = "08:00-15:00" }\n', "", "opening.days"),
    ('[opening]\ndays = { mon = "15:00-08:00" }\n', "", "opening.days"),
    ('[opening]\ndays = { mon = "08:00-12:00, 11:00-15:00" }\n', "", "opening.days"),
    ('[opening]\nlast_ticket_minutes = "30"\n', "", "last_ticket_minutes"),
    ('[opening]\nclosed_dates = ["24-12-2026"]\n', "", "opening.closed_dates"),
    ('[opening]\nwhen = 1\n', "", "opening: unknown key 'when'"),
    ('', "quota = 0\n", "service[skck].quota"),
    ('', "quota = true\n", "service[skck].quota"),
    ('', 'opening = { days = { fri = "8-11" } }\n', "service[skck].opening.days"),
    ('', 'standard = { fee = 0 }\n', "service[skck].standard.fee"),
])
def test_bad_rules_name_their_key(extra, service_extra, key):
    with pytest.raises(ConfigError) as e:
        site = site_with(extra, service_extra)
        opening_rules(site, years=range(2026, 2027))
        standards(site)
    assert key in str(e.value)


def test_week_ranges_and_intervals_parse():
    week = parse_week({"mon-thu": "08:00-15:00", "fri": "08:00-11:30,13:00-15:30", "sat-sun": "closed"})
    assert week[0] == week[3] == ((time(8), time(15)),)
    assert week[4] == ((time(8), time(11, 30)), (time(13), time(15, 30)))
    assert week[5] == week[6] == ()
    assert parse_intervals("tutup") == ()


def test_opening_rules_alone_never_need_the_clock_of_the_machine():
    rules = OpeningRules(week={0: ((time(8), time(9)),)}, holidays={date(2026, 11, 30): "Uji"})
    assert status(rules, datetime(2026, 11, 30, 8, 30), 0).code == "holiday"
    assert status(rules, datetime(2026, 12, 7, 8, 30), 0).open
