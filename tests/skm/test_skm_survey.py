"""The survey over HTTP, in-process, against a real SQLite file: one answer per served ticket,
abuse refused with a reason, nothing personal stored, and a fuzz of the endpoint."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skm_fixtures import DAY, Building, serve_app, served_building, slip_key
from web.public import PublicState
from ticketing.skm import summarise
from web.survey import COLUMNS, RateLimit, SurveyStore

GOOD = [4, 3, 4, 4, 3, 4, 4, 3, 3]


@pytest.fixture
def store(tmp_path):
    s = SurveyStore(tmp_path / "survey.db")
    yield s
    s.close()


SLIPS = Building()


def with_key(body):
    """The answer as the page sends it: with the key the ticket's slip carries."""
    if isinstance(body, dict) and "key" not in body and isinstance(body.get("ticket"), str):
        label = PublicState(SLIPS.site).normalise(body["ticket"])
        body = {**body, "key": slip_key(SLIPS, label) if label else "x" * 12}
    return body


def post(session, base, body, **kw):
    body = with_key(body)
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    headers = {"Content-Type": "application/json", **kw.pop("headers", {})}
    return session.post(base + "/api/v1/survey", data=data, headers=headers, **kw)


def test_a_served_ticket_is_rated_once_and_only_the_ticket_is_kept(store, tmp_path):
    async def check(app, base, s):
        async with post(s, base, {"ticket": "a1", "scores": GOOD}) as r:
            assert r.status == 201
            assert await r.json() == {"ok": True, "ticket": "A001", "day": DAY, "service": "ktp"}
            assert r.headers["Cache-Control"] == "no-store"
            assert "Access-Control-Allow-Origin" not in r.headers
        async with post(s, base, {"ticket": "A001", "scores": [1] * 9, "day": DAY}) as r:
            assert r.status == 409
            body = await r.json()
            assert body["code"] == "already_answered"
            assert body["message"]["id"].startswith("Penilaian untuk nomor A001 sudah diterima")
        # The same ticket sent twice at once: exactly one is stored
        async def one():
            async with post(s, base, {"ticket": "A002", "scores": GOOD}) as r:
                return r.status
        assert sorted(await asyncio.gather(one(), one())) == [201, 409]
    serve_app(served_building(), check, survey=store, survey_per_minute=600)
    rows = sqlite3.connect(tmp_path / "survey.db").execute("SELECT * FROM response").fetchall()
    assert len(rows) == 2
    columns = [r[1] for r in sqlite3.connect(tmp_path / "survey.db").execute(
        "PRAGMA table_info(response)")]
    # no address, no browser, no name: only these
    assert columns == ["day", "ticket", "service", "agency", *COLUMNS, "ts"]
    assert rows[0][:4] == (DAY, "A001", "ktp", "Disdukcapil") and list(rows[0][4:13]) == GOOD


@pytest.mark.parametrize("ticket, status, code", [
    ("A004", 409, "not_served"),      # being served at counter 1
    ("A005", 409, "not_served"),      # missed, not served
    ("A007", 404, "unknown_ticket"),  # not issued yet
    ("Z001", 404, "unknown_ticket"),  # no such service
    ("B001", 404, "unknown_ticket"),  # a service with nothing issued
    ("A/1", 400, "malformed"),
    ("", 400, "malformed"),
])
def test_tickets_that_cannot_be_rated_get_the_reason(store, ticket, status, code):
    async def check(app, base, s):
        async with post(s, base, {"ticket": ticket, "scores": GOOD}) as r:
            assert r.status == status
            body = await r.json()
            assert body["code"] == code and body["message"]["id"] and body["message"]["en"]
    serve_app(served_building(), check, survey=store, survey_per_minute=600)
    assert store.count() == 0


def test_a_ticket_of_another_day_is_refused(store):
    async def check(app, base, s):
        async with post(s, base, {"ticket": "A001", "scores": GOOD, "day": "2026-11-25"}) as r:
            assert r.status == 410 and (await r.json())["code"] == "other_day"
        async with post(s, base, {"ticket": "A001", "scores": GOOD, "day": "2026-11-31"}) as r:
            assert r.status == 400
    serve_app(served_building(), check, survey=store)
    assert store.count() == 0


def test_the_state_of_an_earlier_day_decides_nothing(store):
    b = served_building()
    b.advance(86400)               # the queue has not started the new day: its state is old

    async def check(app, base, s):
        async with post(s, base, {"ticket": "A001", "scores": GOOD}) as r:
            assert r.status == 503 and (await r.json())["code"] == "no_data"
    serve_app(b, check, survey=store)
    assert store.count() == 0


@pytest.mark.parametrize("scores", [[4] * 8, [4] * 10, [0] + [4] * 8, [5] + [4] * 8,
                                    [-1] + [4] * 8, [3.5] + [4] * 8, [True] + [4] * 8,
                                    ["4"] * 9, None, [[4]] * 9, [4e9] * 9])
def test_scores_out_of_range_or_shape_are_refused(store, scores):
    async def check(app, base, s):
        async with post(s, base, {"ticket": "A001", "scores": scores}) as r:
            assert r.status == 400
            assert (await r.json())["code"] == "malformed"
    serve_app(served_building(), check, survey=store, survey_per_minute=600)
    assert store.count() == 0


def test_only_small_json_from_this_site_is_read(store):
    async def check(app, base, s):
        body = json.dumps(with_key({"ticket": "A001", "scores": GOOD}))
        async with s.post(base + "/api/v1/survey", data=body,
                          headers={"Content-Type": "text/plain"}) as r:
            assert r.status == 415
        async with s.post(base + "/api/v1/survey", data={"ticket": "A001"}) as r:
            assert r.status == 415          # a plain HTML form cannot post an answer
        async with post(s, base, b"{" + b" " * 600 + b"}") as r:
            assert r.status == 413
        async with post(s, base, body, headers={"Origin": "https://evil.example"}) as r:
            assert r.status == 403
        async with post(s, base, body, headers={"Sec-Fetch-Site": "cross-site"}) as r:
            assert r.status == 403
        async with post(s, base, {"ticket": "A001", "scores": GOOD, "ip": "1.2.3.4"}) as r:
            assert r.status == 400          # unknown fields are not silently dropped
        async with post(s, base, b"\xff\xfe") as r:
            assert r.status == 400
        async with post(s, base, "[1, 2]") as r:
            assert r.status == 400
        async with post(s, base, body, headers={"Origin": base}) as r:
            assert r.status == 201          # the page itself
    serve_app(served_building(), check, survey=store, survey_per_minute=600)
    assert store.count() == 1


def test_one_address_cannot_flood_the_endpoint(store):
    async def check(app, base, s):
        statuses = []
        for i in range(12):
            async with post(s, base, {"ticket": f"A{i % 3 + 1:03d}", "scores": GOOD}) as r:
                statuses.append(r.status)
        assert statuses[:5].count(429) == 0          # a burst of five is fine
        assert statuses[5:].count(429) >= 6          # then 20 a minute (one per three seconds)
        async with post(s, base, {"ticket": "A001", "scores": GOOD}) as r:
            assert r.status == 429 and r.headers["Retry-After"] == "60"
    serve_app(served_building(), check, survey=store, survey_per_minute=20)
    assert store.count() == 3


def test_the_public_index_is_published_per_building_and_agency_but_not_per_service(store):
    answers = [(1, [4, 4, 3, 4, 3, 4, 4, 3, 2]), (2, [3, 3, 3, 4, 3, 3, 4, 3, 3]),
               (3, [4, 3, 2, 4, 4, 4, 4, 4, 3]), (6, [3, 4, 3, 4, 3, 4, 3, 3, 2])]

    async def check(app, base, s):
        for number, scores in answers:
            async with post(s, base, {"ticket": f"A{number:03d}", "scores": scores}) as r:
                assert r.status == 201
        async with post(s, base, {"ticket": "C001", "scores": [4, 3, 3, 4, 3, 3, 4, 4, 1]}) as r:
            assert r.status == 201
        async with s.get(base + f"/api/v1/skm?from={DAY}&to={DAY}") as r:
            assert r.status == 200
            doc = await r.json()
        # the worked example of test_skm_arithmetic: five answers, 83.25, B
        assert doc["n"] == 5 and doc["index"] == 83.25 and doc["grade"] == "B"
        assert [e["nrr"] for e in doc["elements"]] == [3.6, 3.4, 2.8, 4.0, 3.2, 3.6, 3.8, 3.4, 2.2]
        # an agency with fewer than five answers: the count, not the figures
        assert {a["agency"]: (a["n"], a["withheld"], a["index"]) for a in doc["agencies"]} == {
            "Disdukcapil": (4, True, None), "Polres": (1, True, None)}
        async with s.get(base + "/api/v1/skm?agency=Disdukcapil") as r:
            body = await r.json()
            assert body["n"] == 4 and body["index"] is None and body["withheld"]
        async with s.get(base + "/api/v1/skm?service=ktp") as r:
            assert r.status == 403
        for bad in ("from=2026-13-01", "from=2026-11-27&to=2026-11-26",
                    "from=2020-01-01&to=2026-11-26", "from=x"):
            async with s.get(base + "/api/v1/skm?" + bad) as r:
                assert r.status == 400, bad
        async with s.get(base + "/api/v1/skm?agency=Nowhere") as r:
            assert r.status == 404
        async with s.get(base + "/api/v1/skm/elements") as r:
            elements = (await r.json())["elements"]
            assert len(elements) == 9 and elements[0]["answers"]["id"][0] == "Tidak sesuai"
    serve_app(served_building(), check, survey=store, survey_per_minute=600)
    n, sums = store.totals(DAY, DAY)
    assert summarise(n, sums)["index"] == 83.25


def test_the_survey_page_is_served_under_the_page_policy(store):
    async def check(app, base, s):
        async with s.get(base + "/survey/A001?d=" + DAY) as r:
            assert r.status == 200
            assert "script-src 'self'" in r.headers["Content-Security-Policy"]
            text = await r.text()
            assert "<script src=\"/static/survey.js\"" in text and "<script>" not in text
        async with s.get(base + "/survey/") as r:
            assert r.status == 200
    serve_app(served_building(), check, survey=store)


def test_a_site_with_the_survey_off_says_so():
    async def check(app, base, s):
        async with post(s, base, {"ticket": "A001", "scores": GOOD}) as r:
            assert r.status == 404 and (await r.json())["code"] == "off"
        async with s.get(base + "/survey/A001") as r:
            assert r.status == 404
        async with s.get(base + "/api/v1/services") as r:
            assert (await r.json())["survey"] is False      # the page offers no survey link
    serve_app(served_building(), check, survey=None)


# -- fuzz ------------------------------------------------------------------------------------------

score = st.one_of(st.integers(-3, 8), st.floats(allow_nan=True), st.booleans(), st.none(),
                  st.text(max_size=3))
tickets = st.one_of(st.sampled_from(["A001", "A002", "A003", "A004", "A005", "A006", "C001",
                                     "a1", "B001", "A999", "ZZ99"]),
                    st.text(max_size=14))
bodies = st.one_of(
    st.fixed_dictionaries({"ticket": tickets, "scores": st.lists(score, min_size=0, max_size=11)},
                          optional={"day": st.sampled_from([DAY, "2026-11-25", "x", 5, None]),
                                    "extra": st.integers()}),
    st.fixed_dictionaries({"ticket": tickets,
                           "scores": st.lists(st.integers(1, 4), min_size=9, max_size=9)}),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                 lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=6), c,
                                                                     max_size=4), max_leaves=10))
FUZZ_CASES = 300


def expected(body) -> int | None:
    """201 for a valid first answer to a served ticket of today, else a refusal (4xx)."""
    if not (isinstance(body, dict) and set(body) <= {"ticket", "scores", "day"}):
        return None
    scores, day = body.get("scores"), body.get("day", DAY)
    if not (isinstance(scores, list) and len(scores) == 9 and all(
            type(s) is int and 1 <= s <= 4 for s in scores)):
        return None
    if day not in (DAY, None):
        return None
    return 201 if str(body.get("ticket")).upper() in {"A001", "A002", "A003", "A006", "C001",
                                                      "A1"} else None


def test_fuzzed_answers_are_refused_or_stored_exactly_once(tmp_path):
    """Hypothesis sends ``FUZZ_CASES`` bodies (valid, malformed, deep, unknown tickets) to the
    running server: every answer is 201 or a 4xx with a code, never 5xx; only valid first answers
    to served tickets are stored, and each ticket at most once."""
    store = SurveyStore(tmp_path / "fuzz.db")
    outcomes = []

    async def check(app, base, s):
        loop = asyncio.get_running_loop()
        app.survey_http.limit = RateLimit(1e6, burst=10**6)    # the flood test is above

        @settings(max_examples=FUZZ_CASES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(body=bodies)
        def run(body):
            async def one():
                async with post(s, base, json.dumps(with_key(body), allow_nan=True)) as r:
                    return r.status, await r.json()
            status, answer = asyncio.run_coroutine_threadsafe(one(), loop).result(10)
            outcomes.append((body, status, answer))
            assert status in (201, 400, 403, 404, 409, 410), (body, status, answer)
            if status != 201:
                assert answer["code"] and answer["message"]["id"] and answer["message"]["en"]
            else:
                assert expected(body) == 201, body

        await loop.run_in_executor(None, run)

    serve_app(served_building(), check, survey=store, survey_per_minute=600)
    stored = store.db.execute("SELECT ticket FROM response").fetchall()
    accepted = [b for b, status, _ in outcomes if status == 201]
    assert len(stored) == len(accepted) == len({t for (t,) in stored})
    assert {t for (t,) in stored} <= {"A001", "A002", "A003", "A006", "C001"}
    assert len(outcomes) >= FUZZ_CASES * 0.9
    assert accepted, "the fuzz never reached a valid answer"
    refusals = {status for _, status, _ in outcomes if status != 201}
    assert {400, 404, 409} <= refusals
    print(f"survey fuzz: {len(outcomes)} cases, {len(accepted)} stored, "
          f"refusals {sorted(refusals)}")
    store.close()
