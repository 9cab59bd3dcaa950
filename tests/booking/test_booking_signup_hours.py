"""Online sign-up hours (``signup_hours``): bookings are taken only at set local hours, so
visitors without an alarm at midnight are not beaten to the places. The pure rule (inside,
outside, the edges), the layered config and its refusals, the queue service in-process (the
retained slots say it, cancelling and checking in are not limited), and end to end through
``antrian serve`` + ``antrian web`` and the booking page in Debian's headless Chromium."""

from __future__ import annotations

import json
import tomllib
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from antrian import config
from antrian.config import ConfigError
from antrian.opening import booking_rules
from booking.booking_kit import BOOKING, Building, Mall
from support.site import SMALL_SITE
from ticketing import decide
from ticketing.booking import Book, SignupClosed, parse_rules, window
from ticketing.booking_rules import signup_now
from ticketing.model import QueueState

JKT = ZoneInfo("Asia/Jakarta")
TODAY, DAY = "2026-11-30", "2026-12-01"
RULES = parse_rules({"sessions": ["08:00-10:00"], "per_session": 2,
                     "signup_hours": "06:00-20:00"}, "booking")


def book_at(local: datetime | None, rules=RULES, nik_hash="h1"):
    """Decide a booking for tomorrow's session made at ``local`` (the site's wall clock)."""
    s = QueueState.new(TODAY, [("ktp", "A", "", 3, 300.0)], [("1", "Loket 1", ("ktp",))])
    w = window(rules, rules.sessions[0], date.fromisoformat(DAY), JKT)
    cmd = Book("ktp", DAY, "08:00-10:00", nik_hash, "0001", "ABCDEFGH", request="web:1",
               request_id="1", rules=rules, window=w, today=TODAY, local_time=local)
    now = (local or datetime(2026, 11, 30, 12)).replace(tzinfo=JKT).timestamp()
    return decide(s, cmd, now)


# -- the pure rule -------------------------------------------------------------------------------

@pytest.mark.parametrize("hh, mm", [(6, 0), (12, 30), (19, 59)])
def test_a_booking_inside_the_hours_is_taken_from_their_first_minute_to_their_last(hh, mm):
    assert book_at(datetime(2026, 11, 30, hh, mm)).ok


@pytest.mark.parametrize("hh, mm, ss", [(5, 59, 59), (20, 0, 0), (23, 59, 0), (0, 0, 0)])
def test_a_booking_outside_the_hours_is_refused_saying_when_sign_up_opens(hh, mm, ss):
    d = book_at(datetime(2026, 11, 30, hh, mm, ss))
    assert isinstance(d.error, SignupClosed)
    assert (d.error.code, d.error.status) == ("signup_closed", 403)
    assert d.error.text_id == "Pendaftaran online dibuka pukul 06.00–20.00"
    assert "06:00–20:00" in str(d.error)
    assert d.events == ()


def test_without_the_wall_clock_a_limited_service_refuses_and_an_unlimited_one_books():
    assert isinstance(book_at(None).error, SignupClosed)
    any_time = parse_rules({"sessions": ["08:00-10:00"], "per_session": 2}, "booking")
    assert any_time.signup_hours is None
    assert book_at(None, rules=any_time).ok
    assert book_at(datetime(2026, 11, 30, 3, 0), rules=any_time).ok


def test_the_slots_say_the_hours_whether_open_and_until_when():
    open_ = signup_now(RULES, datetime(2026, 11, 30, 12, 0), JKT)
    assert open_ == {"hours": "06:00-20:00", "open": True,
                     "until": datetime(2026, 11, 30, 20, 0, tzinfo=JKT).timestamp()}
    early = signup_now(RULES, datetime(2026, 11, 30, 5, 0), JKT)
    assert not early["open"] and early["until"] == datetime(2026, 11, 30, 6, tzinfo=JKT).timestamp()
    late = signup_now(RULES, datetime(2026, 11, 30, 20, 0), JKT)
    assert not late["open"] and late["until"] == datetime(2026, 12, 1, 6, tzinfo=JKT).timestamp()


GOOD_SIGNUP = {"hours": "06:00-20:00", "open": False, "until": 1796086800.0}


@pytest.mark.parametrize("signup", [
    {"hours": 123, "open": False}, {"hours": "<img src=x onerror=alert(1)>", "open": False},
    {"hours": "06:00-20:00" * 1000, "open": True}, {"hours": "06:00-20:00", "open": "no"},
    {"hours": "06:00-20:00", "open": False, "until": "tomorrow"},
    {"hours": "06:00-20:00", "open": False, "until": 1e300}, ["06:00-20:00"], "closed", 7,
])
def test_a_hostile_signup_in_the_retained_slots_is_dropped_at_the_web_and_the_page_answers(
        signup):
    """The web takes ``booking/<s>/slots`` from the broker; the page builds its sign-up notice
    from ``signup``. One that does not fit the contract is dropped there, the sessions still
    answer, and the next good one is shown."""
    import asyncio

    from mqtt.topics import Topics
    from support.webprocess import served
    from web.server import WebApp

    site = config.parse(tomllib.loads(SMALL_SITE.format(port=1883)))
    app = WebApp(site)
    topic = Topics(site.site).booking_slots("ktp")
    days = [{"day": "2026-12-01", "open": True, "sessions": []}]

    async def main() -> list[dict]:
        answers = []
        async with served(app) as (base, http):
            for body in ({"service": "ktp", "days": days, "signup": signup},
                         {"service": "ktp", "days": days, "signup": GOOD_SIGNUP}):
                app.receive(topic, json.dumps(body).encode(), retained=True)
                async with http.get(base + "/api/v1/services/ktp/slots") as r:
                    assert r.status == 200
                    answers.append(await r.json())
        return answers

    hostile, good = asyncio.run(main())
    assert "signup" not in hostile and hostile["days"] == days
    assert good["signup"] == GOOD_SIGNUP


# -- the config ----------------------------------------------------------------------------------

def load(tmp_path, extra: str, kk: str = ""):
    text = SMALL_SITE.format(port=1883)
    if kk:
        text = text.replace('prefix = "B"\n', f'prefix = "B"\nbooking = {{ {kk} }}\n', 1)
    path = tmp_path / "site.toml"
    path.write_text(text + extra)
    return booking_rules(config.load(path))


def test_hours_are_layered_site_then_agency_then_service_and_empty_lifts_them(tmp_path):
    rules = load(tmp_path, """
[booking]
sessions = ["08:00-10:00"]
per_session = 5
signup_hours = "06:00-20:00"

[booking.agency."Polres"]
signup_hours = "07:30-12:00"
""", kk='signup_hours = ""')
    assert rules["ktp"].signup_hours == (time(6), time(20))
    assert rules["skck"].signup_hours == (time(7, 30), time(12))
    assert rules["kk"].signup_hours is None                  # the service lifted the limit


@pytest.mark.parametrize("value, said", [
    ('"20:00-06:00"', "ends before it starts"),
    ('"06:00-12:00, 13:00-20:00"', "must be one range"),
    ('"6 pagi-20:00"', "is not HH:MM"),
    ('"06:00-24:00"', "is not a range like"),
    ('"closed"', "must be one range"),
    ("600", "expected a range like"),
])
def test_a_bad_range_is_refused_naming_the_key(tmp_path, value, said):
    with pytest.raises(ConfigError) as e:
        load(tmp_path, f"""
[booking]
sessions = ["08:00-10:00"]
per_session = 5

[booking.agency."Disdukcapil"]
signup_hours = {value}
""")
    assert "service[ktp].booking.signup_hours" in str(e.value) and said in str(e.value)


# -- the queue service in-process ------------------------------------------------------------------

def test_the_retained_slots_turn_closed_at_the_end_of_the_hours_and_booking_is_refused(tmp_path):
    b = Building(tmp_path, when=datetime(2026, 11, 30, 19, 59, 50),
                 extra=BOOKING + 'signup_hours = "06:00-20:00"\n')
    assert b.slots()["signup"]["open"] and b.book()["ok"]
    b.at(datetime(2026, 11, 30, 20, 0, 1))
    b.service.step([])                               # the rules tick (every 5 s)
    said = b.slots()["signup"]
    assert said == {"hours": "06:00-20:00", "open": False,
                    "until": datetime(2026, 12, 1, 6, tzinfo=JKT).timestamp()}
    answer = b.book(nik="3201234501900002")
    assert answer["code"] == "signup_closed"
    assert answer["message"]["id"] == "Pendaftaran online dibuka pukul 06.00–20.00"
    assert answer["message"]["en"].startswith("online sign-up is open 06:00–20:00")
    assert b.remaining() == 1                                    # only the first booking


def test_cancelling_and_checking_in_are_not_limited_by_the_hours(tmp_path):
    b = Building(tmp_path, when=datetime(2026, 11, 30, 9, 0),
                 extra=BOOKING + 'signup_hours = "09:00-17:00"\n')
    keep = b.book()["data"]["code"]
    drop = b.book(nik="3201234501900002")["data"]["code"]
    b.at(datetime(2026, 11, 30, 21, 0))                          # sign-up closed
    assert b.cancel(drop, "0002")["ok"]
    b.at(datetime(2026, 12, 1, 7, 45))                           # still closed: check-in opens
    assert b.checkin(keep)["booking"] == keep


# -- end to end: antrian serve + antrian web (+ the page in Chromium) -------------------------

NIK = "3275014107850007"


@pytest.mark.broker
def test_outside_the_hours_the_web_answers_403_in_both_languages_and_books_nothing(tmp_path):
    with Mall(tmp_path, web=True, signup_closed=True) as mall:
        queue, web = mall.queue, mall.web
        slots = web.wait(lambda b: b["days"] and "signup" in b,
                         f"/api/v1/services/ktp/slots?day={mall.today}", what="ktp's places")
        hours = slots["signup"]["hours"]
        assert slots["signup"]["open"] is False
        assert slots["days"][0]["sessions"][0]["remaining"] == 2
        topic = f"{queue.base}/booking/ktp/slots"
        seq = queue.watcher.bodies(topic)[-1]["seq"]

        status, _, body = web.post("/api/v1/bookings", {"service": "ktp", "day": mall.today,
                                                         "session": mall.session, "nik": NIK})
        refused = json.loads(body)
        assert status == 403 and refused["code"] == "signup_closed", body
        dotted = hours.replace(":", ".").replace("-", "–")
        assert refused["message"]["id"] == f"Pendaftaran online dibuka pukul {dotted}"
        assert hours.replace("-", "–") in refused["message"]["en"]

        queue.settled()       # whatever the refusal's batch published has reached the watcher
        last = queue.watcher.bodies(topic)[-1]
        assert last["seq"] == seq and last["days"][0]["sessions"][0]["remaining"] == 2
        assert web.json(f"/api/v1/services/ktp/slots?day={mall.today}")[
            "days"][0]["sessions"][0]["remaining"] == 2


@pytest.mark.broker
@pytest.mark.slow
def test_the_page_says_when_sign_up_opens_and_keeps_the_submit_disabled(tmp_path):
    from support.webprocess import CHROMIUM, CHROMIUM_ARGS
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    with Mall(tmp_path, web=True, signup_closed=True) as mall, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(mall.web.base + "/booking")
        page.wait_for_selector("#signup:not([hidden])")
        hours = mall.web.json("/api/v1/services/ktp/slots")["signup"]["hours"]
        dotted = hours.replace(":", ".").replace("-", "–")
        assert page.inner_text("#signup") == f"Pendaftaran online dibuka pukul {dotted}"
        assert page.is_disabled("#submit")
        page.fill("#nik", NIK)
        assert page.is_disabled("#submit")          # typing does not bring it back
        page.click("#lang")
        assert page.inner_text("#signup") == ("Online sign-up is open "
                                              f"{hours.replace('-', '–')} only")
        assert page.is_disabled("#submit")
        assert errors == []
        browser.close()
