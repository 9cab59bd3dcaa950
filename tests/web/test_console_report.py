"""Per-officer figures (reports/officers.py) from the web's audit log: what `antrian report`
writes and what GET /api/v1/manage/officers shows to whom."""

from __future__ import annotations

import csv
import subprocess
import sys

from skm.skm_fixtures import DAY, NOW, Building
from reports import officers
from web.audit import AuditLog, Entry

from test_console_api import hashed, login, rig, run  # noqa: F401  (fixtures)

ROOT = __import__("support.site", fromlist=["ROOT"]).ROOT


def a_day(audit: AuditLog) -> None:
    rows = [("sari", "3", "next", "ok", None, False), ("sari", "3", "next", "ok", 300.0, False),
            ("sari", "3", "recall", "ok", None, False), ("sari", "3", "recall", "too_soon", None,
                                                           False),
            ("sari", "3", "call", "ok", 200.0, True), ("sari", "3", "next", "ok", 500.0, False),
            ("budi", "1", "next", "ok", 120.0, False), ("budi", "1", "skip", "ok", None, False)]
    for i, (user, counter, action, outcome, served, ooo) in enumerate(rows):
        audit.record(Entry(NOW + i, user, "officer", "press", counter=counter, action=action,
                           ticket="C001", outcome=outcome, served_s=served, out_of_order=ooo,
                           reason="Lansia" if ooo else None))
    audit.record(Entry(NOW + 99, "polres", "agency", "command", counter="3", action="close"))


def test_figures_count_served_tickets_medians_out_of_order_calls_and_recalls(tmp_path):
    b = Building(tmp_path / "site.toml")
    audit = AuditLog(tmp_path / "web-audit.db")
    a_day(audit)
    rows = officers.figures(b.site, officers.read_day(tmp_path / "web-audit.db", b.site, DAY))
    by = {r["user"]: r for r in rows}
    assert by["sari"] == {"user": "sari", "role": "officer", "counters": ["3"],
                          "agencies": ["Polres"], "served": 3, "median_service_s": 300.0,
                          "out_of_order": 1, "recalls": 1, "refused": 1}
    assert by["budi"]["served"] == 1 and by["budi"]["agencies"] == ["Disdukcapil"]
    assert [r["user"] for r in officers.visible(rows, "Polres")] == ["sari"]
    assert [r["user"] for r in officers.visible(rows, None)] == ["budi", "sari"]


def test_antrian_report_writes_the_officers_files(tmp_path):
    b = Building(tmp_path / "site.toml")
    a_day(AuditLog(tmp_path / "web-audit.db"))
    from mqtt.store import Store
    store = Store(tmp_path / "queue.db")
    store.append(b.events)
    store.commit()
    store.db.close()
    from web.survey import SurveyStore
    SurveyStore(tmp_path / "survey.db").close()
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "antrian", "report", "--config",
                           str(tmp_path / "site.toml"), "--day", DAY, "--out", str(out),
                           "--db", str(tmp_path / "queue.db"), "--survey-db",
                           str(tmp_path / "survey.db"), "--audit-db",
                           str(tmp_path / "web-audit.db")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    every = list(csv.DictReader((out / "officers.csv").open()))
    assert {r["user"] for r in every} == {"sari", "budi"}
    polres = list(csv.DictReader((out / "officers_polres.csv").open()))
    assert [r["user"] for r in polres] == ["sari"] and polres[0]["served"] == "3"


def test_an_agency_sees_the_officers_of_its_own_counters_only(rig):
    a_day(rig[2])

    async def test(app, base, s, queue):
        await login(s, base, "polres")
        async with s.get(f"{base}/api/v1/manage/officers?day={DAY}") as r:
            assert r.status == 200
            assert [o["user"] for o in (await r.json())["officers"]] == ["sari"]
        await login(s, base, "sari")
        async with s.get(f"{base}/api/v1/manage/officers?day={DAY}") as r:
            assert r.status == 403
        await login(s, base, "pengelola")
        async with s.get(f"{base}/api/v1/manage/officers?day={DAY}") as r:
            assert [o["user"] for o in (await r.json())["officers"]] == ["budi", "sari"]
    run(rig, test)
