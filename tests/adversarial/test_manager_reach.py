"""An agency's manager reaches for what is not theirs (issue 12): another agency's survey,
standards and report files, a session that should have ended, a forged or copied cookie, a login
from another site. Each attack is a named test against the real ``antrian web`` process with the
queue's real log, the real queue service and a real Mosquitto; each must fail.
"""

from __future__ import annotations

import base64
import json

import pytest

from reports.survey_store import Respondent, SurveyStore
from support.site import write_site
from support.waiting import wait_for
from support.webprocess import start_web
from web import accounts as acc
from web.accounts import Account

pytestmark = [pytest.mark.broker, pytest.mark.slow]

PASSWORDS = {"pengelola": "gedung-rahasia-1", "dukcapil": "dukcapil-rahasia",
             "polres": "polres-rahasia-9"}
WEB = """
[web]
managers = "managers.toml"
"""


@pytest.fixture(scope="module")
def hashes():
    return {u: acc.hash_password(p) for u, p in PASSWORDS.items()}     # ~0.15 s each: once


@pytest.fixture
def site_file(tmp_path, broker):
    return write_site(tmp_path / "site.toml", broker.port, WEB)


@pytest.fixture
def web(site_file, tmp_path, hashes, queue_service):
    ktp = queue_service.take("ktp")
    queue_service.take("skck", kiosk="k2")
    queue_service.press("1", "next")
    queue_service.press("1", "next")
    queue_service.press("3", "next")
    queue_service.press("3", "next")
    day = ktp["day"]
    acc.write(tmp_path / "managers.toml", None, {
        "pengelola": Account("pengelola", "manager", hashes["pengelola"]),
        "dukcapil": Account("dukcapil", "agency", hashes["dukcapil"], "Disdukcapil"),
        "polres": Account("polres", "agency", hashes["polres"], "Polres")})
    survey = SurveyStore(tmp_path / "survey.db")
    survey.add(Respondent(day, "A001", "ktp", "Disdukcapil"), (4,) * 9, ts=0)
    survey.add(Respondent(day, "C001", "skck", "Polres"), (1,) * 9, ts=0)
    survey.close()
    reports = tmp_path / "reports" / day
    reports.mkdir(parents=True)
    (reports / "summary.json").write_text('{"every": "agency"}')
    w = start_web(site_file, tmp_path, ["--db", str(tmp_path / "queue.db"),
                                        "--reports", str(tmp_path / "reports")])
    w.day = day
    yield w
    w.stop()


def login(web, user: str, password: str | None = None, **headers) -> str | None:
    status, hdrs, body = web.post("/manage/login", {"user": user,
                                                   "password": password or PASSWORDS[user]},
                                  headers)
    if status != 200:
        return None
    cookie = hdrs["Set-Cookie"].split(";")[0]
    assert cookie.startswith("antrian_session=")
    return cookie


def get(web, path: str, cookie: str | None) -> tuple[int, dict | bytes]:
    status, _, body = web.get(path, {"Cookie": cookie} if cookie else {})
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body


def test_an_agency_account_cannot_read_another_agencys_survey(web):
    cookie = login(web, "dukcapil")
    d = web.day
    for path in (f"/api/v1/manage/skm?from={d}&to={d}&agency=Polres",
                 f"/api/v1/manage/skm?from={d}&to={d}&service=skck",
                 f"/api/v1/manage/skm.csv?from={d}&to={d}&agency=Polres",
                 f"/api/v1/manage/skm?from={d}&to={d}&agency=Disdukcapil&service=skck"):
        status, body = get(web, path, cookie)
        assert status in (400, 403), (path, status, body)
    status, body = get(web, f"/api/v1/manage/skm?from={d}&to={d}", cookie)
    assert status == 200 and body["scope"]["agency"] == "Disdukcapil"
    assert "agencies" not in body and set(body["services"]) == {"ktp"}
    status, csv = get(web, f"/api/v1/manage/skm.csv?from={d}&to={d}", cookie)
    assert status == 200 and b"Polres" not in csv


def test_an_agency_account_cannot_read_another_agencys_standards(web):
    cookie = login(web, "dukcapil")
    for path in (f"/api/v1/manage/standards?day={web.day}&agency=Polres",
                 f"/api/v1/manage/standards?day={web.day}&service=skck",
                 f"/api/v1/manage/standards.csv?day={web.day}&agency=Polres"):
        assert get(web, path, cookie)[0] == 403, path
    status, body = get(web, f"/api/v1/manage/standards?day={web.day}", cookie)
    assert status == 200
    assert {a["agency"] for a in body["agencies"]} <= {"Disdukcapil"}


def test_an_agency_account_cannot_fetch_the_buildings_report_files(web):
    cookie = login(web, "polres")
    status, _ = get(web, f"/manage/files/{web.day}/summary.json", cookie)
    assert status == 403
    status, body = get(web, f"/api/v1/manage/report?day={web.day}", cookie)
    assert status == 200 and body["files"] == []
    # the building manager can
    assert get(web, f"/manage/files/{web.day}/summary.json", login(web, "pengelola"))[0] == 200


def test_a_logged_out_session_cookie_opens_nothing_even_after_a_restart(web):
    cookie = login(web, "pengelola")
    assert get(web, "/api/v1/manage/me", cookie)[0] == 200
    copied = cookie                                     # e.g. left in another browser
    status, _, _ = web.post("/manage/logout", b"", {"Cookie": cookie,
                                                     "Content-Type": "text/plain"})
    assert status == 200                                # followed to the login page
    assert get(web, "/api/v1/manage/me", copied)[0] == 401
    web.stop()
    web.start()
    assert get(web, "/api/v1/manage/me", copied)[0] == 401
    assert get(web, "/api/v1/manage/me", login(web, "pengelola"))[0] == 200


def test_a_tampered_session_cookie_opens_nothing(web):
    cookie = login(web, "dukcapil")
    value = cookie.split("=", 1)[1]
    head, sig = value.split(".")
    body = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    body["u"] = "pengelola"                             # become the building manager
    forged = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()
                                      ).rstrip(b"=").decode()
    for bad in (f"{forged}.{sig}", f"{head}.{sig[:-2]}AA", f"{head}.", "x" * 500, head):
        assert get(web, "/api/v1/manage/me", f"antrian_session={bad}")[0] == 401, bad


def test_a_changed_password_ends_the_old_session(web, tmp_path, hashes):
    cookie = login(web, "dukcapil")
    assert get(web, "/api/v1/manage/me", cookie)[0] == 200
    secret, accounts = acc.read(tmp_path / "managers.toml")
    accounts["dukcapil"] = Account("dukcapil", "agency", acc.hash_password("baru-rahasia-22"),
                                   "Disdukcapil")
    acc.write(tmp_path / "managers.toml", secret, accounts)
    wait_for(lambda: get(web, "/api/v1/manage/me", cookie)[0] == 401, 10,
             what="the old session refused")
    assert login(web, "dukcapil") is None
    assert login(web, "dukcapil", "baru-rahasia-22") is not None


def test_a_login_or_logout_from_another_site_is_refused(web):
    assert login(web, "pengelola", **{"Origin": "https://evil.example"}) is None
    assert login(web, "pengelola", **{"Sec-Fetch-Site": "cross-site"}) is None
    cookie = login(web, "pengelola")
    status, _, _ = web.post("/manage/logout", b"", {"Cookie": cookie, "Sec-Fetch-Site":
                                                     "cross-site", "Content-Type": "text/plain"})
    assert status == 403
    assert get(web, "/api/v1/manage/me", cookie)[0] == 200     # a forged logout ends nothing


def test_password_guessing_is_slowed_to_a_stop(web):
    statuses = [web.post("/manage/login", {"user": "pengelola", "password": f"tebak-{i}"})[0]
                for i in range(14)]
    assert set(statuses) <= {401, 429} and 429 in statuses, statuses
