"""Compliance with the published service standards (Standar Pelayanan): CSV and a chart.

    services, agencies = compliance(site, stats)             # stats: reports.daily.figures(...)
    write_standards(site, stats, Path("out"))                # standards.csv, ..., standards.png

Per service with a target duration (``standard = {duration_minutes = 15}`` in the site TOML):
the day's service times (called → finished) against it — median, 90th percentile, how many and
what share finished within it — and the waits, for context. Per agency the same over its
services that publish a target. The figures are ``ticketing.stats.day_stats``'s (the queue's
``stats`` command gives the same); this module only selects and lays them out. The web's manager
page serves the same rows (``/api/v1/manage/standards``).
"""

from __future__ import annotations

import csv
from collections.abc import Container
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from antrian.config import Site
from reports.charts import percent_bars

MAX_ROWS = 60
DPI = 110


def _min(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def compliance(site: Site, stats: dict[str, Any], agencies: Container[str] | None = None
               ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(service rows, agency rows) for the services with a target, optionally of some
    agencies only (an agency account's view)."""
    services = []
    for sid, row in stats["services"].items():
        std = row.get("standard")
        if std is None or (agencies is not None and row["agency"] not in agencies):
            continue
        st, wait = row["service_time"], row["wait"]
        services.append({
            "service": sid, "name": row.get("name") or sid, "agency": row["agency"],
            "target_min": _min(std["target_s"]), "measured": st["n"],
            "service_median_min": _min(st["median_s"]), "service_p90_min": _min(st["p90_s"]),
            "within": std["within"], "share_within": std["share_within"],
            "wait_median_min": _min(wait["median_s"]), "wait_p90_min": _min(wait["p90_s"]),
            "issued": row["issued"], "done": row["done"]})
    by_agency: dict[str, dict[str, Any]] = {}
    for s in services:
        a = by_agency.setdefault(s["agency"], {"agency": s["agency"], "services": 0,
                                               "measured": 0, "within": 0})
        a["services"] += 1
        a["measured"] += s["measured"]
        a["within"] += s["within"]
    for name, a in by_agency.items():
        a["share_within"] = round(a["within"] / a["measured"], 3) if a["measured"] else None
        whole = stats["agencies"].get(name, {})
        st, wait = whole.get("service_time", {}), whole.get("wait", {})
        # over all the agency's services (those without a target too), for context
        a["service_median_min"] = _min(st.get("median_s"))
        a["service_p90_min"] = _min(st.get("p90_s"))
        a["wait_median_min"] = _min(wait.get("median_s"))
        a["wait_p90_min"] = _min(wait.get("p90_s"))
    return services, list(by_agency.values())


SERVICE_COLUMNS = ["service", "name", "agency", "target_min", "measured", "service_median_min",
                   "service_p90_min", "within", "share_within", "wait_median_min",
                   "wait_p90_min", "issued", "done"]
AGENCY_COLUMNS = ["agency", "services", "measured", "within", "share_within",
                  "service_median_min", "service_p90_min", "wait_median_min", "wait_p90_min"]


def csv_text(rows: list[dict[str, Any]], columns: list[str]) -> str:
    import io
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(columns)
    for r in rows:
        w.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
    return buf.getvalue()


def chart(services: list[dict[str, Any]], day: str, path: Path) -> Path:
    """Share of each service's visitors served within its target (worst first)."""
    rows = sorted((s for s in services if s["share_within"] is not None),
                  key=lambda s: (s["share_within"], -s["measured"]))[:MAX_ROWS]
    fig = Figure(figsize=(10, max(3.0, 1.3 + 0.3 * len(rows))))
    ax = fig.add_subplot()
    if rows:
        values = [s["share_within"] * 100 for s in rows]
        colours = ["#2e7d32" if v >= 90 else "#f9a825" if v >= 70 else "#c62828" for v in values]
        notes = [f"median {s['service_median_min']} / p90 {s['service_p90_min']} menit; "
                 f"standar {s['target_min']:g} menit (n={s['measured']})" for s in rows]
        percent_bars(ax, [f"{s['name']} ({s['agency']})" for s in rows], values, notes,
                     colour=colours, right=175,
                     xlabel="Selesai dilayani dalam jangka waktu standar (%)")
    else:
        ax.text(0.5, 0.5, "Tidak ada layanan dengan standar waktu yang terukur hari ini",
                ha="center", va="center", transform=ax.transAxes, color="#666")
        ax.set_xticks([])
        ax.set_yticks([])
    ax.set_title(f"Kepatuhan standar pelayanan (waktu layanan) — {day}")
    fig.tight_layout()
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=DPI)
    return path


def write_standards(site: Site, stats: dict[str, Any], out: Path) -> list[Path]:
    services, agencies = compliance(site, stats)
    written = []
    for name, rows, columns in (("standards.csv", services, SERVICE_COLUMNS),
                                ("standards_agencies.csv", agencies, AGENCY_COLUMNS)):
        path = out / name
        path.write_text(csv_text(rows, columns), encoding="utf-8")
        written.append(path)
    written.append(chart(services, stats["day"], out / "standards.png"))
    return written
