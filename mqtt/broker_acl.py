"""The broker's accounts and access rules, from the site TOML (:mod:`mqtt.broker_config` writes
them): one account per component, named like its presence topic, and what each may publish and
read. Nobody reads another account's replies; each publishes only its exact leaves.

    >>> [a.name for a in accounts(site)][:4]
    ['queue', 'ops', 'cli', 'web']
"""

from __future__ import annotations

from dataclasses import dataclass

from antrian.config import ConfigError, Site, need_id, tables
from mqtt.topics import Topics

ROLES = ("queue", "ops", "cli", "web", "board", "counter", "kiosk")
# Accounts that log in on the console listener when there is one (the others never do).
CONSOLE_ROLES = ("ops", "cli")
# The queue's maintenance commands the floor view sends (web.floor.COMMANDS).
WEB_COMMANDS = ("open", "close", "assign", "message", "reset")


@dataclass(frozen=True)
class Account:
    """One broker user: a component of the site, or a technician (``ops``, ``ops-andi``)."""
    name: str
    role: str
    id: str | None = None
    label: str = ""


# -- accounts -----------------------------------------------------------------------------------

def board_ids(site: Site) -> list[str]:
    """The ids of the site's ``[[board]]`` tables (the board role validates the rest)."""
    ids = []
    for i, table in enumerate(tables(site.raw, "board")):
        bid = need_id(table, "id", f"board[{i}]")
        if bid in ids:
            raise ConfigError(f"board[{bid}].id: duplicate board id")
        ids.append(bid)
    return ids


def accounts(site: Site, optional: list[str] = ()) -> list[Account]:
    """Every account of the site, in a stable order: services first, then devices.

    ``optional``: accounts only the secrets file names (:func:`optional_accounts`):
    technicians' own (``ops-<name>``) and the small displays above counters
    (``counter-display-<id>``, ``antrian display --counter <id>``).
    """
    out = [Account("queue", "queue", label="the queue service"),
           Account("ops", "ops", label="technicians")]
    out += [Account(name, "ops", label="a technician") for name in sorted(optional)
            if name.startswith("ops-")]
    out.append(Account("cli", "cli", label="`antrian take` and `antrian press`, a supervisor's "
                                           "tool"))
    out.append(Account("web", "web", label="the visitors' page and reports"))
    out += [Account(f"board-{b}", "board", b, f"board {b}") for b in board_ids(site)]
    out += [Account(f"counter-display-{c.id}", "board", c.id, f"the display above {c.name}")
            for c in site.counters.values() if f"counter-display-{c.id}" in optional]
    out += [Account(f"counter-{c.id}", "counter", c.id, c.name) for c in site.counters.values()]
    out += [Account(f"kiosk-{k.id}", "kiosk", k.id, k.name or f"kiosk {k.id}")
            for k in site.kiosks.values()]
    return out


# -- access rules -------------------------------------------------------------------------------

def recent_calls(t: Topics) -> str:
    """The latest calls, retained (``calls/recent``), as the queue rebuilds them on start."""
    return f"{t.base}/calls/recent"


def public_topics(t: Topics) -> list[str]:
    """What anyone may read, even an anonymous browser: the queue as the boards show it."""
    return [t.service_state(), t.counter_state(), t.call, recent_calls(t), t.message,
            t.lwt("queue"), t.booking_slots()]


def device_reads(t: Topics) -> list[str]:
    """What every device and the web server may read: the public topics and who is online."""
    return [t.service_state(), t.counter_state(), t.call, recent_calls(t), t.message, t.lwt(),
            t.booking_slots()]


def overview_reads(t: Topics) -> list[str]:
    """Everything under the site but the reply tree and other components' commands: what the
    queue service and technicians read (each still reads its own ``reply/<name>/#``)."""
    b = t.base
    return [f"{b}/service/#", f"{b}/counter/#", f"{b}/kiosk/#", t.call, f"{b}/calls/#", t.ticket,
            t.message, f"{b}/error/#", f"{b}/tele/#", f"{b}/stat/#", f"{b}/booking/#"]


def rules(site: Site, account: Account) -> list[tuple[str, str]]:
    """The ``(access, topic)`` lines of one account, besides the patterns every account has
    (:func:`own_patterns`): the exact leaves it publishes, and what it reads. Nobody reads
    another account's replies (``reply/<name>/``), not even the queue service or a technician."""
    t = Topics(site.site)
    b = t.base
    if account.role == "queue":
        writes = [t.service_state(), t.counter_state(), t.call, recent_calls(t), t.ticket,
                  t.message, t.error(), f"{b}/reply/#", t.booking_slots()]
        return [("write", w) for w in writes] + [("read", r) for r in overview_reads(t)]
    if account.role == "ops":
        # Commands to any component; clearing the retained presence of a retired device.
        return ([("write", t.cmnd("+", "+")), ("write", t.lwt())]
                + [("read", r) for r in overview_reads(t) + [f"{b}/cmnd/#", "$SYS/#"]])
    reads = device_reads(t)
    if account.role == "cli":
        # `antrian take` / `antrian press`: a supervisor's tool, for any kiosk and counter.
        return ([("write", t.kiosk_take()), ("write", t.counter_press())]
                + [("read", r) for r in reads + [t.ticket, t.error()]])
    if account.role == "web":
        # Staff act through the web (issue 14): presses as each counter, on that counter's
        # exact leaf (the queue's request-id dedupe makes a resend harmless), their refusals,
        # and the supervisors' commands to the queue (answered on reply/web/, see own_patterns).
        # Booking requests (issue 15): the NIK only as its HMAC, answered on reply/web/#;
        # ``status`` reads what became of a booking (its ticket after check-in).
        counters = list(site.counters)
        return ([("write", t.counter_press(c)) for c in counters]
                + [("write", t.cmnd("queue", c)) for c in WEB_COMMANDS]
                + [("write", t.booking_request(op)) for op in ("book", "cancel", "status")]
                + [("read", topic) for topic in reads + [t.ticket]]
                + [("read", t.error(f"counter-{c}")) for c in counters])
    if account.role == "board":
        return [("read", topic) for topic in reads]
    if account.role == "counter":
        return [("write", t.counter_press(account.id))] + [
            ("read", topic) for topic in reads + [t.error(account.name)]]
    if account.role == "kiosk":
        return [("write", t.kiosk_take(account.id)), ("write", t.kiosk_checkin(account.id))] + [
            ("read", topic) for topic in reads + [t.ticket, t.error(account.name)]]
    raise ValueError(f"unknown role {account.role!r}")


def own_patterns(t: Topics, consoles: list[str] = ("ops",)) -> list[tuple[str, str]]:
    """Every account speaks for itself on the exact leaves of its maintenance face, hears its
    own commands and the replies to its own requests, and may answer the technicians'
    consoles on their reply trees (``%u`` is the username, which is the component name)."""
    b = t.base
    out = [("write", f"{b}/tele/%u/lwt"), ("write", f"{b}/tele/%u/state"),
           # who runs the component now (retained): a second copy is told loudly
           ("write", f"{b}/tele/%u/instance"),
           ("write", f"{b}/stat/%u/+"),
           # a console's legacy response topic stat/<name>/<command>/<txn> (mosquitto_rr -e)
           ("write", f"{b}/stat/%u/+/+"),
           ("read", f"{b}/cmnd/%u/+"), ("read", f"{b}/reply/%u/#")]
    out += [("write", f"{b}/reply/{name}/#") for name in consoles]
    return out


def consoles(accounts_: list[Account]) -> list[str]:
    """The accounts that send maintenance commands (and so get replies from every component)."""
    return [a.name for a in accounts_ if a.role == "ops"]


def acl(site: Site, accounts_: list[Account]) -> str:
    """The ACL file of the authenticated listeners."""
    t = Topics(site.site)
    lines = [
        f"# Mosquitto ACL for Antrian site {site.site!r} ({site.title}).",
        "# Generated by `antrian broker-config` from the site TOML: change the TOML (or the",
        "# secrets file) and run it again rather than editing this file.",
        "#",
        "# Mosquitto checks every publish against the write lines and every message it delivers",
        "# (retained ones too) against the read lines; what no line allows is refused. There are",
        "# no anonymous lines here: the listeners that use this file refuse anonymous clients.",
        "",
        "# Each account: its own presence and health (tele/), its command replies (stat/), its",
        "# own commands (cmnd/), the replies to its own requests (reply/<name>/), and replies",
        "# to the technicians' consoles (reply/ops.../).",
    ]
    lines += [f"pattern {access} {topic}" for access, topic in own_patterns(t, consoles(accounts_))]
    for account in accounts_:
        lines += ["", f"# {account.name}: {account.label}" + _role_note(account), f"user {account.name}"]
        lines += [f"topic {access} {topic}" for access, topic in rules(site, account)]
    return "\n".join(lines) + "\n"


def _role_note(account: Account) -> str:
    return {"queue": " (the queue's state and events, replies to every requester)",
            "ops": " (commands, state, broker statistics)",
            "cli": " (takes and presses for any kiosk and counter)",
            "web": " (the page; staff presses as their counters, supervisors' commands, booking requests)",
            "board": " (read only)",
            "counter": " (presses for this counter only)",
            "kiosk": " (tickets from this kiosk only)"}[account.role]


def public_acl(site: Site) -> str:
    """The ACL of the anonymous websockets listener: read only, public topics only."""
    t = Topics(site.site)
    lines = [f"# Anonymous visitors' browsers on the websockets listener of site {site.site!r}:",
             "# they may read the queue as the boards show it, and publish nothing.",
             "# Generated by `antrian broker-config`."]
    lines += [f"topic read {topic}" for topic in public_topics(t)]
    return "\n".join(lines) + "\n"
