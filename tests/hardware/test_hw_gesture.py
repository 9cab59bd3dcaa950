"""Our debounce and the one-button gestures, driven with explicit times (no sleeps)."""

from hypothesis import given, strategies as st

from hardware.gesture import ButtonInput, Debouncer, OneButton


def test_a_press_is_taken_at_once_and_its_bounces_are_ignored():
    d = Debouncer(0.02)
    assert d.edge(True, 0.000) is True
    assert d.edge(False, 0.002) is None
    assert d.edge(True, 0.004) is None
    assert d.poll(0.020) is None          # settled pressed: nothing to reconcile
    assert d.stable is True


def test_a_release_inside_the_lockout_is_not_lost():
    d = Debouncer(0.02)
    d.edge(True, 0.0)
    assert d.edge(False, 0.010) is None   # a real, quick release, inside the window
    assert d.deadline() == 0.02
    assert d.poll(0.019) is None
    assert d.poll(0.020) is False
    assert d.deadline() is None


def test_a_late_poll_does_not_swallow_the_next_press():
    """The lockout after a settled release runs from the release itself, not from the poll."""
    d = Debouncer(0.02)
    d.edge(True, 0.000)
    d.edge(False, 0.010)                  # released inside the window
    assert d.poll(0.035) is False         # the loop came late
    assert d.edge(True, 0.040) is True    # 30 ms after the release: a new press


def test_edges_after_the_window_count_again():
    d = Debouncer(0.02)
    d.edge(True, 0.0)
    assert d.edge(False, 0.05) is False
    assert d.edge(True, 0.10) is True


@given(st.lists(st.floats(min_value=0.0001, max_value=0.004), min_size=1, max_size=30))
def test_a_bouncing_press_and_release_make_exactly_one_press(gaps):
    """Any bounce train shorter than the window, then a clean release: one press, one release."""
    b = ButtonInput("next", bounce_time=0.02)
    t, level, actions = 0.0, True, []
    actions += b.edge(True, t)
    for gap in gaps:
        t += gap
        if t >= 0.019:
            break
        level = not level
        actions += b.edge(level, t)
    actions += b.edge(True, min(t + 0.0001, 0.0199))     # settles pressed
    actions += b.poll(0.5)
    actions += b.edge(False, 1.0)
    for i in range(5):                                    # release bounces
        actions += b.edge(i % 2 == 0, 1.001 + i * 0.001)
    actions += b.edge(False, 1.01)
    actions += b.poll(2.0)
    assert actions == ["next"]
    assert b.debouncer.stable is False


def test_one_button_single_press_fires_next_after_the_double_press_window():
    g = OneButton(hold_time=1.5, double_press_s=0.4)
    assert g.down(0.0) == [] and g.up(0.1) == []
    assert g.deadline() == 0.1 + 0.4
    assert g.poll(0.3) == []
    assert g.poll(0.5) == ["next"]
    assert g.poll(0.9) == [] and g.deadline() is None


def test_one_button_double_press_is_recall_and_not_next():
    g = OneButton(hold_time=1.5, double_press_s=0.4)
    g.down(0.0), g.up(0.1), g.down(0.3)
    assert g.poll(0.55) == []             # the window waits for the second press's release
    assert g.up(0.4) == ["recall"]
    assert g.poll(5.0) == []


def test_one_button_hold_is_skip_at_the_hold_time_and_the_release_does_nothing():
    g = OneButton(hold_time=1.5, double_press_s=0.4)
    g.down(0.0)
    assert g.deadline() == 1.5
    assert g.poll(1.49) == []
    assert g.poll(1.5) == ["skip"]
    assert g.up(2.0) == []
    assert g.poll(5.0) == []


def test_press_then_hold_gives_skip_only():
    g = OneButton(hold_time=1.0, double_press_s=0.4)
    g.down(0.0), g.up(0.1), g.down(0.2)
    assert g.poll(1.2) == ["skip"]
    assert g.up(1.5) == [] and g.poll(3.0) == []


def test_one_button_input_debounces_before_the_gestures():
    b = ButtonInput(None, bounce_time=0.02, hold_time=1.5, double_press_s=0.4)
    out = []
    for t, lvl in [(0.0, True), (0.001, False), (0.002, True), (0.1, False), (0.101, True),
                   (0.102, False)]:
        out += b.edge(lvl, t)
    out += b.poll(0.2)                    # release bounces settled
    out += b.poll(0.6)
    assert out == ["next"]
