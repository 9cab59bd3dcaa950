"""The day's charts as PNG, with matplotlib's object API on the Agg canvas (no display, no
pyplot state, safe in any thread).

    write_charts(daylog, stats, Path("out"))   # four PNG files

Titles are in Indonesian: the building manager reads them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from reports.daily import DayLog

DPI = 110
MAX_AGENCIES = 10          # stacked bars beyond this become unreadable: the rest are "Lainnya"
MAX_SERVICES = 60          # rows of the waiting-time chart (the busiest services)
BLUE = "#0b5394"
# Matplotlib 3.10 names it orientation= (and deprecates vert= in 3.11); older ones know vert= only
HORIZONTAL = ({"orientation": "horizontal"}
              if tuple(int(x) for x in matplotlib.__version__.split(".")[:2]) >= (3, 10)
              else {"vert": False})


def _save(fig: Figure, path: Path) -> Path:
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=DPI)
    return path


def _empty(ax, text: str = "Tidak ada data") -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#666")
    ax.set_xticks([])
    ax.set_yticks([])


def percent_bars(ax, labels: list[str], values: list[float], notes: list[str], *,
                 colour: Any, right: float, xlabel: str) -> None:
    """Horizontal bars of percentages, the first row on top, each with its note to the right of
    the bar (of 100 % for a longer bar); the axis runs to ``right`` to leave the notes room."""
    y = list(range(len(values)))
    ax.barh(y, values, color=colour, height=0.7)
    for i, note in enumerate(notes):
        ax.text(min(values[i], 100) + 1, i, note, va="center", fontsize=7, color="#333")
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, right)
    ax.set_xticks(range(0, 101, 20))
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)


def tickets_per_hour(daylog: DayLog, stats: dict[str, Any], path: Path) -> Path:
    counts: dict[str, dict[int, int]] = {}
    for row in stats["hourly"]:
        counts.setdefault(row["agency"], {})[row["hour"]] = row["tickets"]
    totals = sorted(counts, key=lambda a: -sum(counts[a].values()))
    shown = totals[:MAX_AGENCIES]
    if len(totals) > MAX_AGENCIES:
        other: dict[int, int] = {}
        for a in totals[MAX_AGENCIES:]:
            for h, n in counts[a].items():
                other[h] = other.get(h, 0) + n
        counts["Lainnya"] = other
        shown.append("Lainnya")
    hours = sorted({h for a in counts.values() for h in a}) or [8]
    hours = list(range(min(hours), max(hours) + 1))
    fig = Figure(figsize=(10, 5.5))
    ax = fig.add_subplot()
    bottom = [0] * len(hours)
    colours = [f"C{i}" for i in range(10)] + ["#999999"]
    for i, agency in enumerate(shown):
        values = [counts[agency].get(h, 0) for h in hours]
        ax.bar(hours, values, bottom=bottom, label=agency, color=colours[i % len(colours)],
               width=0.8)
        bottom = [b + v for b, v in zip(bottom, values)]
    if not shown:
        _empty(ax)
    ax.set_xticks(hours, [f"{h:02d}:00" for h in hours], rotation=0, fontsize=8)
    ax.set_ylabel("Tiket diambil")
    ax.set_title(f"Tiket per jam per instansi — {daylog.day} "
                 f"({stats['issued']} tiket)")
    if shown:
        ax.legend(fontsize=8, ncols=2, frameon=False, loc="upper right")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def wait_distribution(daylog: DayLog, stats: dict[str, Any], path: Path) -> Path:
    waits: dict[str, list[float]] = {}
    for t in daylog.state.tickets.values():
        if t.wait_time is not None:
            waits.setdefault(t.issued_service or t.service, []).append(t.wait_time / 60)
    busiest = sorted(waits, key=lambda s: -len(waits[s]))[:MAX_SERVICES]
    busiest.sort(key=lambda s: sorted(waits[s])[len(waits[s]) // 2])
    names = [f"{stats['services'][s]['name'] if s in stats['services'] else s} "
             f"(n={len(waits[s])})" for s in busiest]
    fig = Figure(figsize=(10, max(3.0, 1.2 + 0.28 * len(busiest))))
    ax = fig.add_subplot()
    if busiest:
        ax.boxplot([waits[s] for s in busiest], **HORIZONTAL, showfliers=True, widths=0.6,
                   flierprops={"markersize": 2, "alpha": 0.5},
                   medianprops={"color": BLUE, "linewidth": 2})
        ax.set_yticks(range(1, len(busiest) + 1), names, fontsize=8)
        ax.set_xlabel("Waktu tunggu sampai dipanggil (menit)")
        ax.grid(axis="x", alpha=0.3)
    else:
        _empty(ax)
    more = len(waits) - len(busiest)
    ax.set_title(f"Sebaran waktu tunggu per layanan — {daylog.day}"
                 + (f" ({len(busiest)} tersibuk; {more} lainnya di services.csv)" if more else ""))
    fig.tight_layout()
    return _save(fig, path)


def counter_utilisation(daylog: DayLog, stats: dict[str, Any], path: Path) -> Path:
    rows = [(cid, c) for cid, c in stats["counters"].items() if c["utilisation"] is not None]
    fig = Figure(figsize=(10, max(3.0, 1.2 + 0.25 * len(rows))))
    ax = fig.add_subplot()
    if rows:
        labels = [c["name"] for _, c in rows]
        values = [c["utilisation"] * 100 for _, c in rows]
        notes = [f"{c['open_s'] / 3600:.1f} j buka · {c['done']} selesai" for _, c in rows]
        percent_bars(ax, labels, values, notes, colour=BLUE, right=130,
                     xlabel="Waktu melayani / waktu buka (%)")
    else:
        _empty(ax)
    ax.set_title(f"Utilisasi loket — {daylog.day}")
    fig.tight_layout()
    return _save(fig, path)


def no_show_rate(daylog: DayLog, stats: dict[str, Any], path: Path) -> Path:
    rows = sorted(((a, r) for a, r in stats["agencies"].items() if r["no_show_rate"] is not None),
                  key=lambda ar: -ar[1]["no_show_rate"])
    fig = Figure(figsize=(10, max(3.0, 1.2 + 0.3 * len(rows))))
    ax = fig.add_subplot()
    if rows:
        y = list(range(len(rows)))
        values = [r["no_show_rate"] * 100 for _, r in rows]
        ax.barh(y, values, color="#c0504d", height=0.7)
        for i, (_, r) in enumerate(rows):
            ax.text(values[i] + 0.3, i, f"{r['no_shows']} dari {r['called']}", va="center",
                    fontsize=7)
        ax.set_yticks(y, [a for a, _ in rows], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, max(values) * 1.25 + 1)
        ax.set_xlabel("Nomor dipanggil tetapi tidak datang (%)")
        ax.grid(axis="x", alpha=0.3)
    else:
        _empty(ax)
    total_called = sum(r["called"] for r in stats["agencies"].values())
    total = sum(r["no_shows"] for r in stats["agencies"].values())
    overall = f"{100 * total / total_called:.1f} %" if total_called else "-"
    ax.set_title(f"Tingkat tidak hadir per instansi — {daylog.day} (seluruhnya {overall})")
    fig.tight_layout()
    return _save(fig, path)


def write_charts(daylog: DayLog, stats: dict[str, Any], out: Path) -> list[Path]:
    return [tickets_per_hour(daylog, stats, out / "tickets_per_hour.png"),
            wait_distribution(daylog, stats, out / "wait_distribution.png"),
            counter_utilisation(daylog, stats, out / "counter_utilisation.png"),
            no_show_rate(daylog, stats, out / "no_show_rate.png")]
