"""The SKM survey in the report and on the manager's page: results per agency, CSV and a chart.

    store = SurveyStore.reader("var/survey.db")          # reports.survey_store.SurveyReader
    result(store, "2026-11-01", "2026-11-30", agency="Disdukcapil")   # ticketing.skm.summarise
    write_skm(site, "var/survey.db", "2026-11-30", Path("out"))       # skm.csv, skm.png

The report shows the day and the month up to it (an index needs responses: a day of one
agency seldom has many). The arithmetic is ``ticketing.skm``'s.
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import date
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from antrian.config import Site
from ticketing.skm import ELEMENTS, GRADES, summarise

log = logging.getLogger(__name__)

DPI = 110
ALL = "Seluruh MPP"
GRADE_COLOURS = {"A": "#2e7d32", "B": "#1565c0", "C": "#f9a825", "D": "#c62828", None: "#9e9e9e"}


def result(store, start: str, end: str, *, agency: str | None = None,
           service: str | None = None) -> dict[str, Any]:
    """The survey's result for one scope and period (``summarise`` plus the scope)."""
    n, sums = store.totals(start, end, agency=agency, service=service)
    return {"from": start, "to": end, "agency": agency, "service": service, **summarise(n, sums)}


def per_agency(store, start: str, end: str, agencies: list[str] | None = None
               ) -> dict[str, dict[str, Any]]:
    """Each agency's result (those with responses, and every one of ``agencies``)."""
    grouped = store.grouped(start, end, "agency")
    names = list(agencies or []) + [a for a in grouped if a not in (agencies or [])]
    return {a: {"from": start, "to": end, "agency": a,
                **summarise(*grouped.get(a, (0, [0] * len(ELEMENTS))))} for a in names}


def per_service(store, start: str, end: str, agency: str | None = None
                ) -> dict[str, dict[str, Any]]:
    return {s: {"from": start, "to": end, "service": s, **summarise(n, sums)}
            for s, (n, sums) in store.grouped(start, end, "service", agency=agency).items()}


COLUMNS = ["period", "from", "to", "scope", "n", *[f"u{i + 1}_{e.key}" for i, e in
                                                   enumerate(ELEMENTS)],
           "ikm_unit", "index", "grade", "performance"]


def csv_rows(period: str, scope: str, r: dict[str, Any]) -> list[Any]:
    return [period, r["from"], r["to"], scope, r["n"],
            *["" if e["nrr"] is None else e["nrr"] for e in r["elements"]],
            "" if r["ikm_unit"] is None else r["ikm_unit"],
            "" if r["index"] is None else r["index"], r["grade"] or "",
            r["performance"]["id"] if r["performance"] else ""]


def csv_text(rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(COLUMNS)
    w.writerows(rows)
    return buf.getvalue()


def chart(site_result: dict[str, Any], agencies: dict[str, dict[str, Any]], title: str,
          path: Path) -> Path:
    """Left: the index per agency against the grade bands; right: the nine elements' averages."""
    fig = Figure(figsize=(11, max(4.0, 1.6 + 0.32 * len(agencies))))
    ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    rows = sorted(((a, r) for a, r in agencies.items() if r["index"] is not None),
                  key=lambda ar: -ar[1]["index"])
    empty = [a for a, r in agencies.items() if r["index"] is None]
    for (low, letter, _, _), high in zip(GRADES, (100, 88.30, 76.60, 64.99)):
        ax.axvspan(max(float(low), 25), high, color=GRADE_COLOURS[letter], alpha=0.07)
        ax.text((max(float(low), 25) + high) / 2, -0.9, letter, ha="center", va="center",
                fontsize=9, color=GRADE_COLOURS[letter])
    if rows:
        y = list(range(len(rows)))
        ax.barh(y, [r["index"] for _, r in rows], height=0.65,
                color=[GRADE_COLOURS[r["grade"]] for _, r in rows])
        for i, (_, r) in enumerate(rows):
            ax.text(r["index"] + 0.4, i, f"{r['index']:.2f} {r['grade']} (n={r['n']})",
                    va="center", fontsize=7)
        ax.set_yticks(y, [a for a, _ in rows], fontsize=8)
    else:
        ax.set_yticks([])
    ax.set_ylim(len(rows) - 0.4 if rows else 0.5, -1.4)
    ax.set_xlim(25, 112)
    ax.set_xlabel("Indeks Kepuasan Masyarakat (25-100)")
    note = f"; belum ada penilaian: {len(empty)} instansi" if empty else ""
    ax.set_title(f"IKM per instansi{note}", fontsize=10)
    if site_result["n"]:
        values = [e["nrr"] for e in site_result["elements"]]
        y = list(range(len(ELEMENTS)))
        ax2.barh(y, values, color="#0b5394", height=0.65)
        for i, v in enumerate(values):
            ax2.text(v + 0.03, i, f"{v:.2f}", va="center", fontsize=7)
        ax2.set_yticks(y, [f"U{i + 1} {e.name_id}" for i, e in enumerate(ELEMENTS)], fontsize=8)
        ax2.invert_yaxis()
        ax2.set_xlim(1, 4.5)
        ax2.set_xticks([1, 2, 3, 4])
        ax2.set_title(f"Rata-rata per unsur, {ALL}\n(n={site_result['n']}, IKM "
                      f"{site_result['index']:.2f}, mutu {site_result['grade']})", fontsize=10)
    else:
        ax2.text(0.5, 0.5, "Belum ada penilaian", ha="center", va="center",
                 transform=ax2.transAxes, color="#666")
        ax2.set_xticks([])
        ax2.set_yticks([])
    fig.suptitle(title)
    fig.tight_layout()
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=DPI)
    return path


def write_skm(site: Site, survey_db: str | Path, day: str, out: Path) -> list[Path]:
    """``skm.csv`` (the day and the month up to it, the whole MPP and each agency) and
    ``skm.png``. A missing survey file is said, not an error (the survey may be off)."""
    from reports.survey_store import SurveyStore

    path = Path(survey_db)
    if not path.is_file():
        log.warning("no survey file at %s: the report has no SKM section", path)
        return []
    store = SurveyStore.reader(path)
    try:
        month = date.fromisoformat(day).replace(day=1).isoformat()
        rows = []
        periods = {"day": (day, day), "month": (month, day)}
        results = {}
        for period, (start, end) in periods.items():
            whole = result(store, start, end)
            agencies = per_agency(store, start, end, site.agencies)
            results[period] = (whole, agencies)
            rows.append(csv_rows(period, ALL, whole))
            rows += [csv_rows(period, a, r) for a, r in agencies.items()]
    finally:
        store.close()
    csv_path = out / "skm.csv"
    csv_path.write_text(csv_text(rows), encoding="utf-8")
    whole, agencies = results["month"]
    png = chart(whole, agencies, f"Survei Kepuasan Masyarakat {month} s.d. {day}",
                out / "skm.png")
    return [csv_path, png]
