"""``antrian report``'s new sections from real SQLite files: the SKM per agency and the service
standards' compliance, as CSV and charts."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

from mqtt.store import Store
from skm_fixtures import DAY, served_building
from web.survey import Respondent, SurveyStore

ROOT = Path(__file__).resolve().parents[2]


def rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_report_has_the_skm_per_agency_and_the_standards_compliance(tmp_path, artifacts):
    building = served_building(tmp_path / "site.toml")
    store = Store(tmp_path / "queue.db")
    store.append(building.events)
    store.commit()
    store.db.close()
    survey = SurveyStore(tmp_path / "survey.db")
    # the worked example of test_skm_arithmetic, four at Disdukcapil and one at Polres, plus
    # one answer earlier in the month (counted in the month, not the day)
    for ticket, agency, scores in [("A001", "Disdukcapil", (4, 4, 3, 4, 3, 4, 4, 3, 2)),
                                   ("A002", "Disdukcapil", (3, 3, 3, 4, 3, 3, 4, 3, 3)),
                                   ("A003", "Disdukcapil", (4, 3, 2, 4, 4, 4, 4, 4, 3)),
                                   ("A006", "Disdukcapil", (3, 4, 3, 4, 3, 4, 3, 3, 2)),
                                   ("C001", "Polres", (4, 3, 3, 4, 3, 3, 4, 4, 1))]:
        survey.add(Respondent(DAY, ticket, "ktp" if agency == "Disdukcapil" else "skck", agency),
                   scores, ts=building.now)
    survey.add(Respondent("2026-11-02", "A001", "ktp", "Disdukcapil"), (1,) * 9, ts=0)
    survey.close()
    out = tmp_path / "report"
    run = subprocess.run([sys.executable, "-m", "antrian", "report", "--config",
                          str(tmp_path / "site.toml"), "--db", str(tmp_path / "queue.db"),
                          "--survey-db", str(tmp_path / "survey.db"), "--day", DAY, "--out",
                          str(out)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    for name in ("skm.csv", "skm.png", "standards.csv", "standards_agencies.csv",
                 "standards.png", "services.csv"):
        assert (out / name).is_file(), name

    skm = {(r["period"], r["scope"]): r for r in rows(out / "skm.csv")}
    whole = skm[("day", "Seluruh MPP")]
    assert whole["n"] == "5" and whole["index"] == "83.25" and whole["grade"] == "B"
    assert whole["u9_pengaduan"] == "2.2" and whole["performance"] == "Baik"
    assert skm[("day", "Polres")]["n"] == "1"
    # the month: six answers; the early one of all 1s pulls it down
    month = skm[("month", "Seluruh MPP")]
    assert month["n"] == "6" and month["from"] == "2026-11-01"
    assert skm[("month", "Disdukcapil")]["n"] == "5"

    std = {r["service"]: r for r in rows(out / "standards.csv")}
    assert set(std) == {"ktp"}                       # the one service with a target
    assert std["ktp"]["target_min"] == "10.0" and std["ktp"]["within"] == "4"
    assert std["ktp"]["share_within"] == "1.0" and std["ktp"]["service_median_min"] == "4.0"
    assert rows(out / "standards_agencies.csv")[0]["agency"] == "Disdukcapil"
    for name in ("skm.png", "standards.png"):
        shutil.copy(out / name, artifacts / f"report-{name}")


def test_a_report_without_a_survey_file_has_no_skm_section(tmp_path):
    from reports.daily import write_report
    building = served_building(tmp_path / "site.toml")
    store = Store(tmp_path / "queue.db")
    store.append(building.events)
    store.commit()
    store.db.close()
    written = write_report(building.site, tmp_path / "queue.db", DAY, tmp_path / "out",
                           survey_db=tmp_path / "none.db")
    names = {p.name for p in written}
    assert "standards.csv" in names and "skm.csv" not in names
    assert not (tmp_path / "none.db").exists()        # read-only: nothing created
