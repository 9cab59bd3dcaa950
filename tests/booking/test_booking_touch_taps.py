"""Ten thousand random taps (and answers arriving at any moment) on the touch kiosk's check-in
screen: the flow never holds more than a code and four digits, sends only a complete pair, once
per Kirim, and is always drawable: a kiosk left to a bored child still checks the next visitor in."""

from __future__ import annotations

import random

import pytest

from hardware.touch_checkin import (CODE, DONE, ERROR, NIK, NIK_DIGITS, SENDING, WAITING,
                                    CheckinFlow, checkin_layout)
from ticketing.booking import CODE_ALPHABET, CODE_LEN


@pytest.mark.parametrize("size", [(1280, 800), (800, 480)])
def test_ten_thousand_random_taps_keep_the_check_in_screen_sane(size):
    rng = random.Random(size[0])
    flow = CheckinFlow()
    sends = 0
    t = 0.0
    for i in range(10_000):
        t += rng.random()
        if not flow.active:
            flow.open(t)
        view = flow.view()
        layout = checkin_layout(view, size)
        before = view.state
        roll = rng.random()
        if roll < 0.85:        # a tap anywhere: on a key, between keys or on the header
            key = layout.hit(rng.randrange(size[0]), rng.randrange(size[1]))
            if key is None and layout.keys and rng.random() < 0.7:
                key = rng.choice([k for k in layout.keys if k.enabled] or layout.keys)
            sent = flow.press(key, t) if key is not None else None
            if sent is not None:
                sends += 1
                code, digits = sent
                assert before == NIK and key.kind == "kirim"
                assert len(code) == CODE_LEN and set(code) <= set(CODE_ALPHABET)
                assert len(digits) == NIK_DIGITS and digits.isdigit()
                assert flow.view().state == SENDING
                assert flow.press(key, t) is None            # a second tap sends nothing
                flow.sent(rng.choice([f"r{i}", None]))
        elif roll < 0.95:      # the kiosk's answer, whether or not this screen waits for one
            took = flow.answer(rng.choice(["ack", "refused", "busy"]), "Jawaban", t)
            assert not took or before in (SENDING, WAITING)
        else:                  # a QR scanned while the keyboard is up
            flow.begin("".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LEN)), t)
        after = flow.view()
        assert after.state in (None, CODE, NIK, SENDING, WAITING, DONE, ERROR)
        assert len(after.code) <= CODE_LEN and set(after.code) <= set(CODE_ALPHABET)
        assert 0 <= after.typed <= NIK_DIGITS
        assert after.state != NIK or len(after.code) == CODE_LEN
    assert sends >= 20       # the random taps did reach Kirim with a whole code and NIK, often
