"""The manager's pages: a login, a building manager who sees every agency, an agency account
that sees its own only (403 for another's), and nothing without a session (401)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mqtt.store import Store
from skm_fixtures import DAY, serve_app, served_building
from web import accounts as acc
from web.accounts import Account, Accounts
from web.survey import Respondent, SurveyStore

ROOT = Path(__file__).resolve().parents[2]
PASSWORDS = {"pengelola": "gedung-rahasia-1", "dukcapil": "dukcapil-rahasia", "polres": "polres-rahasia-9"}
MANAGE_GETS = ["/api/v1/manage/me", f"/api/v1/manage/skm?from={DAY}&to={DAY}",
               f"/api/v1/manage/skm.csv?from={DAY}&to={DAY}",
               f"/api/v1/manage/standards?day={DAY}", f"/api/v1/manage/standards.csv?day={DAY}",
               f"/api/v1/manage/report?day={DAY}"]


@pytest.fixture(scope="module")
def hashes():
    # Argon2 costs ~0.15 s a hash: once per module
    return {u: acc.hash_password(p) for u, p in PASSWORDS.items()}


@pytest.fixture
def rig(tmp_path, hashes):
    """A site, its manager accounts, a survey with answers, and the queue's log on disk."""
    building = served_building(tmp_path / "site.toml")
    managers = tmp_path / "managers.toml"
    acc.write(managers, None, {
        "pengelola": Account("pengelola", "manager", hashes["pengelola"]),
        "dukcapil": Account("dukcapil", "agency", hashes["dukcapil"], "Disdukcapil"),
        "polres": Account("polres", "agency", hashes["polres"], "Polres")})
    accounts = Accounts(managers, building.site, state_dir=tmp_path / "state")
    survey = SurveyStore(tmp_path / "survey.db")
    for ticket, sid, agency, scores in [("A001", "ktp", "Disdukcapil", [4] * 9),
                                        ("A002", "ktp", "Disdukcapil", [3] * 9),
                                        ("C001", "skck", "Polres", [2] * 9)]:
        survey.add(Respondent(DAY, ticket, sid, agency), tuple(scores), ts=building.now)
    store = Store(tmp_path / "queue.db")
    store.append(building.events)
    store.commit()
    store.db.close()
    yield building, accounts, survey, tmp_path
    survey.close()


async def login(s, base, user, password=None):
    async with s.post(base + "/manage/login", json={"user": user,
                                                    "password": password or PASSWORDS[user]}) as r:
        return r.status, await r.json(), r.headers.getall("Set-Cookie", [])


def run(rig, check, **kw):
    building, accounts, survey, tmp_path = rig
    serve_app(building, check, survey=survey, accounts=accounts, queue_db=tmp_path / "queue.db",
              **kw)


def test_without_a_session_every_manager_answer_is_401_and_the_page_sends_to_the_login(rig):
    async def check(app, base, s):
        for path in MANAGE_GETS:
            async with s.get(base + path) as r:
                assert r.status == 401, path
                assert (await r.json())["code"] == "login"
        async with s.get(base + "/manage/", allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "/manage/login"
        async with s.get(base + "/manage/login") as r:
            assert r.status == 200 and r.headers["Cache-Control"] == "no-store"
        s.cookie_jar.update_cookies({"antrian_session": "eyJ1IjoicGVuZ2Vsb2xhIn0.AAAA"})
        async with s.get(base + "/api/v1/manage/me") as r:
            assert r.status == 401                        # a forged token is no session
    run(rig, check)


def test_an_agency_account_sees_its_own_agency_and_gets_403_for_another(rig):
    async def check(app, base, s):
        status, me, cookies = await login(s, base, "dukcapil")
        assert status == 200 and me["role"] == "agency" and me["agencies"] == ["Disdukcapil"]
        assert {x["id"] for x in me["services"]} == {"ktp", "kk"}
        cookie = cookies[0]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        # its own figures: the SKM defaults to its agency
        async with s.get(base + f"/api/v1/manage/skm?from={DAY}&to={DAY}") as r:
            body = await r.json()
            assert r.status == 200 and body["scope"]["agency"] == "Disdukcapil"
            assert body["result"]["n"] == 2 and "agencies" not in body
            assert set(body["services"]) == {"ktp"}
        async with s.get(base + f"/api/v1/manage/standards?day={DAY}") as r:
            body = await r.json()
            assert r.status == 200 and {x["agency"] for x in body["services"]} == {"Disdukcapil"}
        # another agency's figures, by agency or by one of its services: 403
        for path in (f"/api/v1/manage/skm?agency=Polres", "/api/v1/manage/skm?service=skck",
                     "/api/v1/manage/skm.csv?agency=Polres",
                     f"/api/v1/manage/standards?day={DAY}&agency=Polres",
                     f"/api/v1/manage/standards.csv?day={DAY}&service=skck",
                     f"/api/v1/manage/report?day={DAY}&agency=Polres"):
            async with s.get(base + path) as r:
                assert r.status == 403, path
                assert (await r.json())["code"] == "forbidden"
        async with s.get(base + f"/api/v1/manage/skm.csv?from={DAY}&to={DAY}") as r:
            text = await r.text()
            assert r.status == 200 and "Polres" not in text and "Disdukcapil" in text
        async with s.get(base + f"/manage/files/{DAY}/services.csv") as r:
            assert r.status == 403                       # the whole building's files
    run(rig, check)


def test_the_building_manager_sees_every_agency(rig):
    async def check(app, base, s):
        status, me, _ = await login(s, base, "pengelola")
        assert status == 200 and me["agencies"] == ["Disdukcapil", "Polres"]
        async with s.get(base + f"/api/v1/manage/skm?from={DAY}&to={DAY}") as r:
            body = await r.json()
        assert body["result"]["n"] == 3
        assert {a: x["n"] for a, x in body["agencies"].items()} == {"Disdukcapil": 2, "Polres": 1}
        # (4x9 + 3x9)/2 per element = 3.5 -> 3.5 x 0.111 x 9 x 25 = 87.41 (B)
        assert body["agencies"]["Disdukcapil"]["index"] == 87.41
        async with s.get(base + "/api/v1/manage/skm?service=skck") as r:
            body = await r.json()
            assert r.status == 200 and body["result"]["n"] == 1
            assert body["result"]["index"] == 49.95         # 2 x 0.999 x 25, grade D
        async with s.get(base + f"/api/v1/manage/standards?day={DAY}") as r:
            body = await r.json()
        ktp = {x["service"]: x for x in body["services"]}["ktp"]
        # A001-A003 served 240 s each, A006 at once, A004 still at the counter: all four
        # within 10 minutes, median 240 s
        assert ktp["target_min"] == 10 and ktp["measured"] == 4 and ktp["within"] == 4
        assert ktp["share_within"] == 1.0 and ktp["service_median_min"] == 4.0
        async with s.get(base + f"/api/v1/manage/report?day={DAY}") as r:
            links = (await r.json())["links"]
            assert links["standards"] == f"/api/v1/manage/standards?day={DAY}"
    run(rig, check)


def test_a_wrong_password_a_changed_one_and_a_logout_end_access(rig, hashes):
    building, accounts, survey, tmp_path = rig

    async def check(app, base, s):
        status, body, cookies = await login(s, base, "polres", "salah")
        assert status == 401 and body["code"] == "wrong_password" and not cookies
        status, _, _ = await login(s, base, "nobody", "salah")
        assert status == 401
        async with s.post(base + "/manage/login", data={"user": "polres", "password": "salah"},
                          allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "/manage/login?e=wrong_password"
        async with s.post(base + "/manage/login", data={"user": "polres",
                                                        "password": PASSWORDS["polres"]},
                          allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "/manage/"
        async with s.get(base + "/api/v1/manage/me") as r:
            assert r.status == 200
        # the password changes: the session made with the old one ends
        secret, accounts_now = acc.read(tmp_path / "managers.toml")
        accounts_now["polres"] = Account("polres", "agency", hashes["dukcapil"], "Polres")
        acc.write(tmp_path / "managers.toml", secret, accounts_now)
        accounts._checked = -1e9
        async with s.get(base + "/api/v1/manage/me") as r:
            assert r.status == 401
        await login(s, base, "dukcapil")
        async with s.post(base + "/manage/logout", allow_redirects=False) as r:
            assert r.status == 303
        async with s.get(base + "/api/v1/manage/me") as r:
            assert r.status == 401
        async with s.post(base + "/manage/login", json={"user": "dukcapil", "password": "x"},
                          headers={"Origin": "https://evil.example"}) as r:
            assert r.status == 403
    run(rig, check)


def test_guessing_passwords_is_slowed_down(rig):
    async def check(app, base, s):
        statuses = [(await login(s, base, "pengelola", f"tebak-{i}"))[0] for i in range(12)]
        assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]
    run(rig, check)


def test_standards_without_the_queue_log_say_where_it_is_needed(rig):
    building, accounts, survey, tmp_path = rig

    async def check(app, base, s):
        await login(s, base, "pengelola")
        async with s.get(base + "/api/v1/manage/standards") as r:
            body = await r.json()
            assert r.status == 503 and body["code"] == "no_queue_db" and "--db" in body["error"]
        async with s.get(base + "/api/v1/manage/me") as r:
            assert (await r.json())["standards_available"] is False
    serve_app(building, check, survey=survey, accounts=accounts)


def test_the_managers_file_is_checked_and_names_the_problem(tmp_path, hashes):
    from antrian.config import ConfigError
    building = served_building(tmp_path / "site.toml")
    bad = tmp_path / "bad.toml"
    for text, words in [
        ('[[manager]]\nuser = "x"\nrole = "agency"\nagency = "Samsat"\npassword_hash = "'
         + hashes["polres"] + '"\n', "not an agency of the site"),
        ('[[manager]]\nuser = "x"\nrole = "boss"\npassword_hash = "$argon2id$x"\n', "role"),
        ('[[manager]]\nuser = "x"\nrole = "manager"\npassword_hash = "plain"\n', "Argon2"),
        ('secret = "short"\n', "secret")]:
        bad.write_text(text)
        with pytest.raises(ConfigError, match=words):
            acc.read(bad, building.site)


def test_web_user_adds_an_account_with_a_hash_and_never_the_password(tmp_path):
    building = served_building(tmp_path / "site.toml")

    def web_user(*args, password="kata-sandi-panjang"):
        return subprocess.run([sys.executable, "-m", "antrian", "web-user", *args, "--config",
                               str(tmp_path / "site.toml")], input=password + "\n",
                              capture_output=True, text=True, cwd=ROOT, timeout=60)
    run = web_user("add", "--user", "dukcapil", "--role", "agency", "--agency", "Disdukcapil")
    assert run.returncode == 0, run.stderr
    text = (tmp_path / "managers.toml").read_text()      # [web] managers = "managers.toml"
    assert "kata-sandi-panjang" not in text and "$argon2id$" in text
    assert (tmp_path / "managers.toml").stat().st_mode & 0o077 == 0o040
    _, found = acc.read(tmp_path / "managers.toml", building.site)
    assert found["dukcapil"].agency == "Disdukcapil"
    assert Accounts(tmp_path / "managers.toml", building.site, state_dir=tmp_path).verify(
        "dukcapil", "kata-sandi-panjang") is not None
    run = web_user("add", "--user", "samsat", "--role", "agency", "--agency", "Samsat")
    assert run.returncode == 2 and "one of the site's agencies" in run.stderr
    run = web_user("add", "--user", "pendek", "--role", "manager", password="pendek")
    assert run.returncode == 2 and "10 characters" in run.stderr
    run = web_user("list")
    assert run.stdout.split() == ["dukcapil", "agency", "Disdukcapil"]


def test_the_example_managers_file_reads_against_the_example_site_and_opens_no_door(tmp_path):
    from antrian import config
    site = config.load(ROOT / "examples" / "mpp.toml")
    _, found = acc.read(ROOT / "examples" / "managers.example.toml", site)
    assert {a.role for a in found.values()} == {"manager", "agency"}
    accounts = Accounts(ROOT / "examples" / "managers.example.toml", site,
                        state_dir=tmp_path)
    assert accounts.verify("pengelola", "contoh-pengelola-mpp") is None


def test_a_hash_made_with_older_argon2_parameters_is_renewed_at_login(tmp_path):
    from argon2 import PasswordHasher
    building = served_building(tmp_path / "site.toml")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("lama-rahasia-1")
    managers = tmp_path / "managers.toml"
    acc.write(managers, None, {"pengelola": Account("pengelola", "manager", weak)})
    accounts = Accounts(managers, building.site, state_dir=tmp_path / "state")
    assert accounts.verify("pengelola", "salah") is None
    assert acc.read(managers)[1]["pengelola"].password_hash == weak     # not on a wrong password
    account = accounts.verify("pengelola", "lama-rahasia-1")
    renewed = acc.read(managers)[1]["pengelola"].password_hash
    assert account.password_hash == renewed != weak
    assert not acc._hasher().check_needs_rehash(renewed)
    assert accounts.verify("pengelola", "lama-rahasia-1") == account     # the new hash works


def test_a_logout_ends_the_session_on_the_server(tmp_path, hashes):
    building = served_building(tmp_path / "site.toml")
    managers = tmp_path / "managers.toml"
    acc.write(managers, None, {"pengelola": Account("pengelola", "manager", hashes["pengelola"])})
    accounts = Accounts(managers, building.site, state_dir=tmp_path / "state")
    account = accounts.accounts["pengelola"]
    token, other = accounts.sessions.issue(account, 0), accounts.sessions.issue(account, 0)
    assert accounts.from_token(token, 1) == account
    assert accounts.sessions.end(token, 1)
    assert accounts.from_token(token, 2) is None
    assert accounts.from_token(other, 2) == account       # another device stays logged in
    again = Accounts(managers, building.site, state_dir=tmp_path / "state")
    assert again.from_token(token, 3) is None             # kept across a restart
