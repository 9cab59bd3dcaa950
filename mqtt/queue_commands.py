"""The queue service's console commands (``antrian ctl queue <command>``), kept out of the
service itself.

    commands = QueueCommands(service)     # registers on service.maintenance

Every command's arguments cross :mod:`mqtt.validate` once. Commands that change the queue run
on the service thread (``service.submit``) and answer once their events are on disk. Those that
change the line (``reset``, ``assign``, ``open``, ``close``) take the console's ``transaction``
id as their request key: a redelivered command (a broker restart before its acknowledgement)
gets its first outcome back and does not run again.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, time as dtime
from typing import TYPE_CHECKING, Any

from antrian import config as siteconfig
from antrian.opening import booking_rules, published_standards, reconcile
from mqtt import schemas, validate
from mqtt.maintenance import CommandError
from ticketing import Action, Assign, Press, ResetLine, decide
from ticketing.stats import day_stats

if TYPE_CHECKING:
    from mqtt.service import Outbox, QueueService

MAX_TEST_MINUTES = 120


class QueueCommands:
    """The commands the queue adds to its maintenance face."""

    def __init__(self, service: "QueueService"):
        self.service = service
        m = service.maintenance
        m.command("reset", transactional=True)(self.reset)
        m.command("assign", transactional=True)(self.assign)
        m.command("open", transactional=True)(self.open)
        m.command("close", transactional=True)(self.close)
        m.command("message")(self.message)
        m.command("stats")(self.stats)
        m.command("open-for-test")(self.open_for_test)

    # -- changing the line --------------------------------------------------------------------

    def _run(self, command: Any) -> dict:
        """Decide ``command`` on the service thread; its outcome once it is on disk."""
        def run(now: float, out: "Outbox") -> dict:
            decision = decide(self.service.state, command, now)
            if decision.error is not None:
                raise CommandError(str(decision.error))
            self.service.committed(decision.events, out)
            outcome = dict(decision.outcome or {})
            if decision.repeated:
                outcome["repeated"] = True
            return outcome
        return self.service.submit(run)

    @staticmethod
    def _key(transaction: str | None) -> str:
        return f"ops:{transaction}" if transaction else f"ops:{uuid.uuid4().hex[:12]}"

    def reset(self, args: dict, transaction: str | None) -> dict:
        """Start a service's day over (every service without "service"): needs "confirm": true."""
        if args.get("confirm") is not True:
            raise CommandError('reset erases the day\'s line: send {"confirm": true}')
        service = args.get("service")
        service = None if service is None else self._valid(validate.service_id, service)
        outcome = self._run(ResetLine(service, request=self._key(transaction)))
        return {"reset": outcome.get("reset", service or "all"),
                "expired": outcome.get("expired", 0),
                **({"repeated": True} if outcome.get("repeated") else {})}

    def assign(self, args: dict, transaction: str | None) -> dict:
        """Change the services a counter serves for today: {"counter": "3", "services": [...]}."""
        counter, services = args.get("counter"), args.get("services")
        if not isinstance(counter, str) or not isinstance(services, list) \
                or not all(isinstance(s, str) for s in services) or len(services) > 500:
            raise CommandError('expected {"counter": "3", "services": ["ktp", "kk"]}')
        counter = self._valid(validate.service_id, counter, "counter")
        services = [self._valid(validate.service_id, s) for s in services]
        self._run(Assign(counter, tuple(services), request=self._key(transaction)))
        return {"counter": counter, "services": services}

    def open(self, args: dict, transaction: str | None) -> dict:
        """Open a counter: {"counter": "3"}."""
        return self._open_close(Action.OPEN, args, transaction)

    def close(self, args: dict, transaction: str | None) -> dict:
        """Close a counter, optionally until "HH:MM" (or a Unix time) with a "reason"."""
        return self._open_close(Action.CLOSE, args, transaction)

    def _open_close(self, action: Action, args: dict, transaction: str | None) -> dict:
        counter = args.get("counter")
        if not isinstance(counter, str):
            raise CommandError('expected {"counter": "3"}')
        counter = self._valid(validate.service_id, counter, "counter")
        until, reason = args.get("until"), args.get("reason")
        if action == Action.CLOSE and until is not None:
            until = self._valid(validate.until, self._until(until), self.service.clock())
        else:
            until = None
        reason = self._valid(validate.optional_text, reason, validate.REASON_CHARS, "reason")
        key = self._key(transaction)
        rid = key.split(":", 1)[1]
        self._run(Press(counter, action, key, request_id=rid, until=until, reason=reason))
        return {"counter": counter, "open": action == Action.OPEN}

    # -- the rest -----------------------------------------------------------------------------

    def message(self, args: dict) -> dict:
        """Set the running text on every board ("text": "" clears it)."""
        text = args.get("text", "")
        if not isinstance(text, str) or len(text) > 4 * validate.MESSAGE_CHARS:
            raise CommandError(f"text must be a string of at most {validate.MESSAGE_CHARS} "
                               "characters")
        text = validate.clean_text(text, validate.MESSAGE_CHARS, "text")
        body = schemas.encode({"text": text, "ts": time.time()}) if text else b""
        self.service.conn.publish(self.service.topics.message, body, retain=True)
        return {"text": text}

    def stats(self, args: dict) -> dict:
        """Today's figures per service and counter (waits, service times, the standard)."""
        service = self.service
        agencies = {s.id: s.agency for s in service.site.services.values()}
        targets = {sid: s["duration_minutes"] for sid, s in service.standards.items()
                   if s.get("duration_minutes")}
        return service.submit(lambda now, out: day_stats(service.state, agencies, now, targets))

    def open_for_test(self, args: dict) -> dict:
        """Let takes through outside opening hours for "minutes" (max 120; 0 ends it)."""
        minutes = self._valid(validate.finite, args.get("minutes", 30), "minutes")
        if not 0 <= minutes <= MAX_TEST_MINUTES:
            raise CommandError(f"minutes must be 0..{MAX_TEST_MINUTES}")

        def run(now: float, out: "Outbox") -> dict:
            service = self.service
            service.open_for_test_until = now + minutes * 60 if minutes else None
            out.touched.services.update(service.state.lines)
            return {"open_for_test_until": service.open_for_test_until}
        return self.service.submit(run)

    def reload(self, now: float, out: "Outbox") -> dict:
        """Re-read the site TOML (on the service thread); says what changed."""
        service = self.service
        try:
            site = siteconfig.load(service.site.path)
        except siteconfig.ConfigError as e:
            raise CommandError(f"config not reloaded: {e}") from None
        removed = set(service.site.services) - set(site.services)
        if removed:
            raise CommandError(f"config not reloaded: services removed "
                               f"({', '.join(sorted(removed))}); restart the queue service "
                               "after the day ends")
        try:
            before = service.edge.rules
            booking = booking_rules(site)
            service.edge.configure(site)
            service.bookings.rules = booking
            service.standards = published_standards(site)
        except siteconfig.ConfigError as e:
            raise CommandError(f"config not reloaded: {e}") from None
        changes = [f"service {sid}: opening rules changed" for sid in site.services
                   if before.get(sid) != service.edge.rules.get(sid)]
        service.site = site
        changes = reconcile(service.state, site) + changes
        out.touched.services.update(service.state.lines)
        out.touched.counters.update(service.state.counters)
        return {"changes": changes}

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _valid(check: Any, *args: Any) -> Any:
        try:
            return check(*args)
        except validate.Invalid as e:
            raise CommandError(str(e)) from None

    def _until(self, value: Any) -> float:
        """A closing time: "13:00" (today, local time) or seconds since the epoch."""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and len(value) <= 5:
            try:
                hh, mm = value.split(":")
                tz = self.service.site.tz
                local = datetime.combine(datetime.fromtimestamp(self.service.clock(), tz).date(),
                                         dtime(int(hh), int(mm)), tz)
                return local.timestamp()
            except ValueError:
                pass
        raise CommandError('until must be "HH:MM" or a Unix time')
