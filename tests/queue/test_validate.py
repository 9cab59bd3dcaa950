"""The queue's trust boundary, value by value (mqtt/validate.py, mqtt/queue_edge.py)."""

from __future__ import annotations

import math

import pytest

from antrian import config
from mqtt import validate
from mqtt.queue_edge import Limits, RateLimit
from support.site import SMALL_SITE

NOW = 1_795_830_000.0


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 1e300, NOW - 1, NOW,
                                   NOW + 24 * 3600 + 1, "13:00", True, None])
def test_an_until_outside_the_next_24_hours_or_not_a_number_is_refused(value):
    with pytest.raises(validate.Invalid):
        validate.until(value, NOW)


def test_an_until_within_the_next_24_hours_is_taken():
    assert validate.until(NOW + 60, NOW) == NOW + 60
    assert validate.until(NOW + 24 * 3600, NOW) == NOW + 24 * 3600


@pytest.mark.parametrize("raw,shown", [
    ("Istirahat", "Istirahat"),
    ("  Rapat\t\tdinas \n", "Rapat dinas"),
    ("a\x00b\x1bc\x7fd", "abcd"),
    ("\u202eA001\u202c\u200b\ufeff", "A001"),
    ("line\u2028break", "line break"),
    ("\U000f0000private", "private"),
    ("😀 Sholat", "😀 Sholat"),
])
def test_text_loses_hidden_characters_and_keeps_what_is_shown(raw, shown):
    assert validate.clean_text(raw, 100) == shown


def test_text_is_capped_and_an_empty_optional_text_is_none():
    assert len(validate.clean_text("x" * 1000, 100)) == 100
    assert validate.optional_text("\u200b", 100, "reason") is None
    with pytest.raises(validate.Invalid):
        validate.clean_text(42, 100)


@pytest.mark.parametrize("good", ["c1-000042", "k1:7", "a.b_c~d", "x" * 64])
def test_request_ids_from_the_safe_alphabet_pass(good):
    assert validate.request_id(good) == good


@pytest.mark.parametrize("bad", ["", "x" * 65, "a b", "a/b", "+", "#", "é", "a\x00", 7, None])
def test_other_request_ids_are_refused(bad):
    with pytest.raises(validate.Invalid):
        validate.request_id(bad)


def test_a_transaction_may_be_a_number_but_not_a_structure():
    assert validate.transaction(17) == "17" and validate.transaction("t-1") == "t-1"
    assert validate.transaction(None) is None
    for bad in ({"a": 1}, [1], True, "a b", "x" * 65):
        with pytest.raises(validate.Invalid):
            validate.transaction(bad)


def test_a_sender_gets_its_burst_then_its_rate():
    limit = RateLimit(rate=2.0, burst=3)
    assert [limit.allow("counter-1", 0.0) for _ in range(4)] == [True, True, True, False]
    assert limit.allow("counter-2", 0.0)                  # each sender has its own bucket
    assert not limit.allow("counter-1", 0.2)
    assert limit.allow("counter-1", 0.6)                  # 2 a second: one more after 0.5 s


def test_queue_limits_come_from_the_site_and_a_mistyped_key_is_refused(tmp_path):
    path = tmp_path / "site.toml"
    path.write_text(SMALL_SITE.format(port=1883) + "[queue]\nrecall_cooldown_s = 30\n")
    assert Limits.of(config.load(path)).recall_cooldown_s == 30
    assert Limits.of(config.load(path)).rate_per_s == Limits().rate_per_s
    path.write_text(SMALL_SITE.format(port=1883) + "[queue]\nrecall_cooldown = 30\n")
    with pytest.raises(config.ConfigError, match="recall_cooldown"):
        Limits.of(config.load(path))
    path.write_text(SMALL_SITE.format(port=1883) + "[queue]\nrecall_cooldown_s = -1\n")
    with pytest.raises(config.ConfigError):
        Limits.of(config.load(path))
