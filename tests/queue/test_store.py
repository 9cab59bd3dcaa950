"""The durable store on real SQLite files: what was committed comes back after a restart, what
was not is gone, and a snapshot plus the later events rebuild the very same state."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mqtt import store as store_module
from mqtt.store import Store
from ticketing import (Assign, Press, QueueState, ResetLine, Rollover, Take, Tick, apply, handle)
from ticketing import decide as put
from ticketing.events import to_dict

ROOT = Path(__file__).resolve().parents[2]
DAY = "2026-11-28"
T0 = 1_795_830_000.0
SERVICES = [("ktp", "A", "", 3, 300.0), ("kk", "B", "", 3, 300.0), ("skck", "4K", "-", 2, 600.0)]
COUNTERS = [("1", "Loket 1", ("ktp", "kk")), ("2", "Loket 2", ("ktp",)),
            ("3", "Loket 3", ("skck",))]


def fresh() -> QueueState:
    return QueueState.new(DAY, SERVICES, COUNTERS)


def a_busy_morning(n: int = 60):
    """``n`` commands of a plausible morning (takes, every button, a new day, a reset)."""
    script = []
    for i in range(n):
        kiosk = f"kiosk-k{i % 2 + 1}:{i}"
        counter = ("1", "2", "3")[i % 3]
        step = i % 12
        if step in (0, 1, 2, 5, 8):
            service = ("ktp", "kk", "skck")[i % 3]
            script.append(Take(service, request=kiosk, request_id=str(i), priority=i % 7 == 0))
        elif step in (3, 4, 6, 9):
            script.append(Press(counter, "next", request=f"counter-{counter}:{i}"))
        elif step == 7:
            script.append(Press(counter, "skip", request=f"counter-{counter}:{i}"))
        elif step == 10:
            script.append(Press(counter, "transfer", request=f"counter-{counter}:{i}",
                                to="kk" if counter != "1" else "skck"))
        else:
            script.append(Press(counter, "recall", request=f"counter-{counter}:{i}"))
        if i == n // 2:
            script.append(Rollover("2026-11-29"))
        if i == n * 3 // 4:
            script.append(ResetLine("skck"))
    return script


def decide(state: QueueState, command, now: float) -> list[dict]:
    """The events of ``command`` applied to ``state``; none when the rules refuse it."""
    try:
        events = handle(state, command, now)
    except Exception:
        return []
    for event in events:
        apply(state, event)
    return events


def run(store: Store, state: QueueState, script, *, commit_state: bool = True) -> None:
    now = T0
    for command in script:
        now += 37.0
        events = decide(state, command, now)
        store.append(events)
        store.commit(state if commit_state else None)


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "var" / "queue.db"


def test_committed_events_come_back_after_a_restart(db):
    store = Store(db)
    state = store.load(fresh)
    run(store, state, a_busy_morning())
    assert state.seq > 50
    store.db.close()                     # the process dies: no close(), no last snapshot

    again = Store(db).load(fresh)
    assert again.to_dict() == state.to_dict()


def test_an_empty_store_starts_from_the_fresh_state(db):
    store = Store(db)
    state = store.load(fresh)
    assert state.to_dict() == fresh().to_dict()
    assert store.last_seq() == 0 and list(store.events()) == []
    assert db.parent.is_dir()


def test_the_store_is_a_wal_database_that_syncs_every_commit(db):
    store = Store(db)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2    # FULL


def test_rolled_back_events_are_not_there(db):
    store = Store(db)
    state = store.load(fresh)
    run(store, state, a_busy_morning(20))
    committed = state.to_dict()
    last = store.last_seq()
    doomed = decide(state, Take("ktp", request="kiosk-k1:late"), T0 + 9999)
    store.append(doomed)
    store.rollback()
    assert store.last_seq() == last
    store.db.close()
    again = Store(db).load(fresh)
    assert again.to_dict() == committed
    assert again.seq == last


def test_events_of_an_open_batch_are_invisible_to_readers_until_commit(db):
    store = Store(db)
    state = store.load(fresh)
    store.append(decide(state, Take("ktp", request="kiosk-k1:1"), T0))
    reader = sqlite3.connect(db)
    assert reader.execute("SELECT count(*) FROM events").fetchone()[0] == 0
    store.commit(state)
    assert reader.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    reader.close()


CRASH = """
import os, sys
sys.path.insert(0, {root!r})
from mqtt.store import Store
from ticketing import QueueState, Take, apply, handle
store = Store({db!r})
state = store.load(lambda: QueueState.new({day!r}, {services!r}, {counters!r}))
for i in range(3):
    events = handle(state, Take("ktp", request=f"kiosk-k1:{{i}}"), 1.0 + i)
    for e in events:
        apply(state, e)
    store.append(events)
    if i < 2:
        store.commit(state)
os._exit(0)     # killed in the middle of the third batch
"""


def test_a_process_killed_mid_batch_keeps_exactly_what_it_committed(db):
    script = CRASH.format(root=str(ROOT), db=str(db), day=DAY, services=SERVICES,
                          counters=COUNTERS)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    state = Store(db).load(fresh)
    assert list(state.tickets) == ["A001", "A002"]
    assert state.lines["ktp"].last_number == 2      # A003 will be issued again: never shown


def test_a_snapshot_plus_the_later_events_rebuild_the_same_state_as_a_full_replay(db, monkeypatch,
                                                                                   caplog):
    monkeypatch.setattr(store_module, "SNAPSHOT_EVERY", 7)
    store = Store(db)
    state = store.load(fresh)
    run(store, state, a_busy_morning(80))
    run(store, state, [Take("skck", request="kiosk-k1:x"), Press("3", "next", request="c:x")],
        commit_state=False)
    snap_seq = store.db.execute("SELECT seq FROM snapshot").fetchone()[0]
    assert 0 < snap_seq < state.seq, "the test needs events after the snapshot"
    store.db.close()

    caplog.set_level("INFO", logger="mqtt.store")
    store = Store(db)
    from_snapshot = store.load(fresh)
    assert f"snapshot at seq {snap_seq}, replayed {state.seq - snap_seq} events" in caplog.text
    full = fresh()
    for event in store.events():
        apply(full, event)
    assert from_snapshot.to_dict() == full.to_dict() == state.to_dict()


def test_a_snapshot_is_written_once_enough_events_have_been_committed(db, monkeypatch):
    monkeypatch.setattr(store_module, "SNAPSHOT_EVERY", 10)
    store = Store(db)
    state = store.load(fresh)
    seqs = []
    for i in range(30):
        store.append(decide(state, Take("kk", request=f"kiosk-k1:{i}"), T0 + i))
        store.commit(state)
        row = store.db.execute("SELECT seq FROM snapshot").fetchone()
        seqs.append(row[0] if row else None)
    assert seqs[:9] == [None] * 9
    assert seqs[9] == 10 and seqs[19] == 20 and seqs[29] == 30
    assert set(seqs) == {None, 10, 20, 30}


def test_a_snapshot_in_a_rolled_back_batch_is_rolled_back_too(db, monkeypatch):
    store = Store(db)
    state = store.load(fresh)
    store.append(decide(state, Take("ktp", request="kiosk-k1:1"), T0))
    store.commit(state)
    store.append(decide(state, Take("ktp", request="kiosk-k1:2"), T0 + 1))
    store.snapshot(state)
    store.rollback()
    assert store.db.execute("SELECT count(*) FROM snapshot").fetchone()[0] == 0
    store.db.close()
    assert list(Store(db).load(fresh).tickets) == ["A001"]


def test_a_clean_close_leaves_a_snapshot_so_the_next_start_replays_nothing(db, caplog):
    store = Store(db)
    state = store.load(fresh)
    run(store, state, a_busy_morning(30), commit_state=False)
    store.close(state)
    caplog.set_level("INFO", logger="mqtt.store")
    again = Store(db).load(fresh)
    assert "replayed 0 events" in caplog.text
    assert again.to_dict() == state.to_dict()


def test_a_clean_close_commits_an_open_batch_first(db):
    store = Store(db)
    state = store.load(fresh)
    store.append(decide(state, Take("ktp", request="kiosk-k1:1"), T0))
    store.close(state)
    again = Store(db)
    assert again.last_seq() == 1
    assert again.load(fresh).to_dict() == state.to_dict()


def test_events_can_be_read_by_service_day_and_after_a_seq(db):
    store = Store(db)
    state = store.load(fresh)
    run(store, state, a_busy_morning(40))
    everything = list(store.events())
    assert [e["seq"] for e in everything] == list(range(1, state.seq + 1))
    first = list(store.events(day=DAY))
    second = list(store.events(day="2026-11-29"))
    assert first and second and first + second == everything
    assert all(e["day"] == DAY for e in first)
    rollover = next(e for e in everything if e["type"] == "rollover")
    assert rollover in second          # the rollover opens the new day
    assert list(store.events(day="2026-11-27")) == []
    assert [e["seq"] for e in store.events(after=10)] == list(range(11, state.seq + 1))
    assert all(e["seq"] > 10 and e["day"] == DAY for e in store.events(after=10, day=DAY))


def test_stored_events_are_the_events_as_decided(db):
    store = Store(db)
    state = store.load(fresh)
    events = decide(state, Take("ktp", request="kiosk-k1:1", kiosk="k1", priority=True), T0)
    store.append(events)
    store.commit()
    assert list(store.events()) == events
    assert list(store.rows()) == json.loads(json.dumps([to_dict(e) for e in events]))
    row = store.db.execute("SELECT seq, day, ts, type FROM events").fetchone()
    assert row == (1, DAY, T0, "issued")


def test_a_seq_already_stored_cannot_be_stored_again(db):
    store = Store(db)
    state = store.load(fresh)
    events = decide(state, Take("ktp", request="kiosk-k1:1"), T0)
    store.append(events)
    store.commit()
    with pytest.raises(sqlite3.IntegrityError):
        store.append(events)
    store.rollback()
    assert store.last_seq() == 1


# -- a queue.db written by the version before frozen events -------------------------------------

# Rows exactly as the dict-event code stored them (json.dumps(event), keys in its order).
OLD_ROWS = [
    {"type": "issued", "ticket": "A001", "service": "ktp", "number": 1, "priority": False,
     "kiosk": "k1", "request": "kiosk-k1:1", "outcome": {"ticket": "A001", "service": "ktp",
     "priority": False, "ahead": 0, "kiosk": "k1", "id": "1", "day": DAY}},
    {"type": "issued", "ticket": "A002", "service": "ktp", "number": 2, "priority": True,
     "kiosk": "k1", "request": "kiosk-k1:2", "outcome": {"ticket": "A002", "service": "ktp",
     "priority": True, "ahead": 0, "kiosk": "k1", "id": "2", "day": DAY}},
    {"type": "issued", "ticket": "B001", "service": "kk", "number": 1, "priority": False,
     "kiosk": "k1", "request": "kiosk-k1:3", "outcome": {"ticket": "B001", "service": "kk",
     "priority": False, "ahead": 0, "kiosk": "k1", "id": "3", "day": DAY}},
    {"type": "opened", "counter": "2"},
    {"type": "called", "ticket": "A002", "counter": "2", "kind": "call"},
    {"type": "pressed", "counter": "2", "action": "next", "request": "counter-2:p1",
     "request_id": "p1", "outcome": {"counter": "2", "action": "next", "ticket": "A002",
     "previous": None, "id": "p1", "day": DAY}},
    {"type": "called", "ticket": "A002", "counter": "2", "kind": "recall"},
    {"type": "pressed", "counter": "2", "action": "recall", "request": "counter-2:p2",
     "request_id": "p2", "outcome": {"counter": "2", "action": "recall", "ticket": "A002",
     "previous": "A002", "id": "p2", "day": DAY}},
    {"type": "missed", "ticket": "A002", "counter": "2"},
    {"type": "called", "ticket": "A001", "counter": "2", "kind": "call"},
    {"type": "pressed", "counter": "2", "action": "skip", "request": "counter-2:p3",
     "request_id": "p3", "outcome": {"counter": "2", "action": "skip", "ticket": "A001",
     "previous": "A002", "id": "p3", "day": DAY}},
    {"type": "transferred", "ticket": "A001", "counter": "2", "to": "kk"},
    {"type": "pressed", "counter": "2", "action": "transfer", "request": "counter-2:p4",
     "request_id": "p4", "outcome": {"counter": "2", "action": "transfer", "ticket": None,
     "previous": "A001", "id": "p4", "day": DAY}},
    {"type": "opened", "counter": "1"},
    {"type": "called", "ticket": "B001", "counter": "1", "kind": "call"},
    {"type": "pressed", "counter": "1", "action": "next", "request": "counter-1:p5",
     "request_id": "p5", "outcome": {"counter": "1", "action": "next", "ticket": "B001",
     "previous": None, "id": "p5", "day": DAY}},
    {"type": "finished", "ticket": "B001", "counter": "1"},
    {"type": "closed", "counter": "1", "until": T0 + 3600, "reason": "Istirahat"},
    {"type": "pressed", "counter": "1", "action": "close", "request": "counter-1:p6",
     "request_id": "p6", "outcome": {"counter": "1", "action": "close", "ticket": None,
     "previous": "B001", "id": "p6", "day": DAY}},
    {"type": "assigned", "counter": "3", "services": ["skck", "kk"]},
    {"type": "opened", "counter": "1", "scheduled": True},
    {"type": "reset", "services": ["skck"], "expired": [], "finished": []},
]


def old_database(path: Path) -> Path:
    """A queue.db as the earlier version wrote it: its schema, its rows, no snapshot."""
    db = sqlite3.connect(path)
    db.executescript(store_module.SCHEMA)
    for seq, row in enumerate(OLD_ROWS, start=1):
        ts = T0 + seq * (3700 if row["type"] == "opened" and row.get("scheduled") else 20)
        row = dict(row, seq=seq, ts=ts, day=DAY)
        db.execute("INSERT INTO events(seq, day, ts, type, data) VALUES (?, ?, ?, ?, ?)",
                   (seq, DAY, ts, row["type"], json.dumps(row)))
    db.commit()
    db.close()
    return path


def test_a_queue_db_written_by_the_dict_event_version_replays_to_the_same_state(tmp_path):
    """The same day driven through today's ``decide`` gives the same state as the old log."""
    replayed = Store(old_database(tmp_path / "old.db")).load(fresh)
    state, seq = fresh(), 0
    rows = iter(enumerate(OLD_ROWS, start=1))

    def at() -> float:
        nonlocal seq
        seq, row = next(rows)
        return T0 + seq * (3700 if row["type"] == "opened" and row.get("scheduled") else 20)

    def drive(command, n_events: int) -> None:
        times = [at() for _ in range(n_events)]
        decision = put(state, command, times[-1])
        assert decision.ok, decision.error
        assert len(decision.events) == n_events

    for rid in ("1", "2", "3"):
        drive(Take({"3": "kk"}.get(rid, "ktp"), request=f"kiosk-k1:{rid}", request_id=rid,
                   kiosk="k1", priority=rid == "2"), 1)
    drive(Press("2", "next", "counter-2:p1", request_id="p1"), 3)
    drive(Press("2", "recall", "counter-2:p2", request_id="p2", recall_cooldown=0), 2)
    drive(Press("2", "skip", "counter-2:p3", request_id="p3"), 3)
    drive(Press("2", "transfer", "counter-2:p4", request_id="p4", to="kk"), 2)
    drive(Press("1", "next", "counter-1:p5", request_id="p5"), 3)
    drive(Press("1", "close", "counter-1:p6", request_id="p6", until=T0 + 3600,
                reason="Istirahat"), 3)
    drive(Assign("3", ("skck", "kk")), 1)
    drive(Tick(), 1)
    drive(ResetLine("skck"), 1)
    assert [e.type for e in Store(tmp_path / "old.db").events()] == [r["type"] for r in OLD_ROWS]
    # Everything but the times (one per command here, one per event in the old log) matches.
    mine, old = state.to_dict(), replayed.to_dict()
    for data in (mine, old):
        data.pop("seq")
        for t in data["tickets"].values():
            for k in ("issued_at", "called_at", "finished_at", "first_called_at", "queued_seq"):
                t.pop(k)
        for c in data["counters"].values():
            c.pop("since"), c.pop("last_call_at")
        for r in data["requests"].values():
            r.pop("ts"), r.pop("seq")
        for line in data["lines"].values():
            line.pop("avg_service_s")
    assert mine == old
    # And the old log's last rows did what they say.
    assert replayed.counters["1"].open and replayed.counters["1"].closed_reason is None
    assert replayed.counters["3"].services == ("skck", "kk")
    assert replayed.tickets["A001"].service == "kk" and replayed.tickets["A002"].status == "missed"
    assert replayed.lines["kk"].done == 1 and replayed.seq == len(OLD_ROWS)
