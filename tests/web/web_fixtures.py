"""Helpers for the web tests: a simulated building's site and its retained messages."""

from __future__ import annotations

import tomllib
from functools import lru_cache

from antrian import config
from mqtt import schemas, views
from mqtt.topics import Topics
from ticketing.estimate import service_wait
from ticketing.simulate import mpp_plan, plan_toml, simulate


@lru_cache(maxsize=4)
def simulated_day(n_services: int = 30, seed: int = 1):
    plan = mpp_plan(n_services)
    return plan, simulate(plan, seed=seed, sample_every=0)


def sim_site(plan, port: int = 1883, site: str = "sim"):
    return config.parse(tomllib.loads(plan_toml(plan, site=site, port=port)))


def retained_messages(site, state, now: float) -> list[tuple[str, bytes]]:
    """Every retained message the queue service would hold for ``state`` (contract-exact)."""
    topics = Topics(site.site)
    out = [(topics.service_state(sid),
            schemas.encode(views.service_state(site, state, sid, now,
                                               service_wait(state, sid, now=now))))
           for sid in state.lines if sid in site.services]
    out += [(topics.counter_state(cid), schemas.encode(views.counter_state(state, cid, now)))
            for cid in state.counters if cid in site.counters]
    out.append((topics.lwt("queue"), b"online"))
    return out


# The real process and the browser live in tests/support (shared with tests/skm, adversarial).
from support.webprocess import (CHROMIUM, CHROMIUM_ARGS, PHONE, ROOT, WebProcess,  # noqa: F401,E402
                                start_web)
