"""The LED patterns (pure), and the LED feedback on gpiozero mock pins with a fake clock."""

import pytest
from gpiozero.pins.mock import MockFactory

from hardware.feedback import Blink, LedFeedback, TerminalFeedback


def test_blinking_starts_lit_and_changes_at_the_phase_boundaries():
    b = Blink("steady")
    assert b.level(0.0) is True and b.next_change(0.0) is None
    b.set_mode("pending", 10.0)
    assert b.level(10.0) and b.level(10.2) and not b.level(10.3) and b.level(10.55)
    assert b.next_change(10.1) == pytest.approx(10.25, abs=1e-3)
    assert b.next_change(10.3) == pytest.approx(10.5, abs=1e-3)
    b.set_mode("pending", 11.0)            # the same mode again does not restart the phase
    assert b.since == 10.0


def test_levels_flip_at_every_deadline_over_a_long_time():
    b = Blink()
    b.set_mode("offline", 0.123)
    t, levels = 0.123, []
    for _ in range(2000):
        t = b.next_change(t)
        levels.append(b.level(t))
    assert all(a != c for a, c in zip(levels, levels[1:]))


def test_a_flash_overlays_the_mode_then_the_mode_comes_back():
    b = Blink("steady")
    b.flash_for(0.1, 0.1, 0.6, t=5.0)
    assert [b.level(5.0 + i * 0.1 + 0.05) for i in range(6)] == [True, False] * 3
    assert b.next_change(5.55) == pytest.approx(5.6, abs=1e-3)
    assert b.level(5.7) is True and b.next_change(5.7) is None


class Clock:
    t = 100.0

    def __call__(self):
        return self.t


@pytest.fixture
def rig():
    factory = MockFactory()
    clock = Clock()
    fb = LedFeedback(24, 25, pin_factory=factory, monotonic=clock)
    yield fb, factory.pin(24), factory.pin(25), clock
    fb.close()
    factory.reset()


def test_led_follows_the_modes_on_the_pins(rig):
    fb, led, buzzer, clock = rig
    fb.show("steady")
    assert led.state
    fb.show("offline")
    seen = []
    for _ in range(6):
        clock.t = fb.deadline()
        fb.update()
        seen.append(led.state)
    assert seen == [False, True, False, True, False, True]
    fb.show("off")
    assert not led.state and fb.deadline() is None


def test_refusal_flashes_and_beeps_then_restores(rig):
    fb, led, buzzer, clock = rig
    fb.show("steady")
    fb.signal("refused", "ditolak")
    assert led.state and buzzer.state
    clock.t += 0.15
    fb.update()
    assert not led.state and not buzzer.state
    clock.t += 1.0
    fb.update()
    assert led.state and not buzzer.state and fb.deadline() is None


def test_ack_beeps_briefly(rig):
    fb, led, buzzer, clock = rig
    fb.signal("ack")
    assert buzzer.state
    clock.t += 0.06
    fb.update()
    assert not buzzer.state


def test_terminal_feedback_prints_modes_and_events(capsys):
    t = TerminalFeedback(name="Loket 1")
    t.show("offline")
    t.signal("ack", "berikutnya: A002")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Loket 1: [TIDAK TERSAMBUNG")
    assert out[1] == "Loket 1: OK berikutnya: A002"
