"""The day's figures and the waiting-time estimate, checked against numbers worked out by hand."""

from __future__ import annotations

import pytest

from ticketing import Press, QueueState, Take, apply, handle
from ticketing import estimate
from ticketing.estimate import LineLoad, median_share, play, scale_to, service_wait, wait_for
from ticketing.observed import CV_PRIOR
from ticketing.stats import day_stats, percentile, summary

DAY = "2026-11-28"
T0 = 1_795_830_000.0
SERVICES = [("ktp", "A", "", 3, 300.0), ("kk", "B", "", 3, 300.0), ("skck", "4K", "-", 2, 600.0)]
COUNTERS = [("1", "Loket 1", ("kk",)), ("2", "Loket 2", ("ktp",)), ("3", "Loket 3", ("skck",)),
            ("4", "Loket 4", ("ktp",))]
AGENCIES = {"ktp": "Disdukcapil", "kk": "Disdukcapil", "skck": "Polres"}


class Day:
    def __init__(self):
        self.state = QueueState.new(DAY, SERVICES, COUNTERS)
        self.n = 0

    def at(self, seconds: float, command) -> None:
        self.n += 1
        for event in handle(self.state, command, T0 + seconds):
            apply(self.state, event)

    def take(self, seconds: float, service: str) -> None:
        self.at(seconds, Take(service, request=f"kiosk-k1:{self.n}"))

    def press(self, seconds: float, counter: str, action: str, **kw) -> None:
        self.at(seconds, Press(counter, action, request=f"counter-{counter}:{self.n}", **kw))


@pytest.fixture
def day() -> Day:
    """A001 waits 300 s and takes 600 s; A002 waits 840 s and takes 300 s; B001 waits 880 s
    and does not come; 4K-01 is still waiting."""
    d = Day()
    d.take(0, "ktp")              # A001
    d.take(60, "ktp")             # A002
    d.take(120, "kk")             # B001
    d.press(300, "2", "next")     # A001 called
    d.press(900, "2", "next")     # A001 done, A002 called
    d.press(1000, "1", "next")    # B001 called
    d.press(1100, "1", "skip")    # B001 missed
    d.press(1200, "2", "next")    # A002 done
    d.take(1300, "skck")          # 4K-01 waits
    return d


# -- percentiles ----------------------------------------------------------------------------------

@pytest.mark.parametrize("values, q, expected", [
    (list(range(1, 11)), 90, 9),         # ceil(0.9 * 10) = 9th
    (list(range(1, 11)), 91, 10),
    (list(range(1, 11)), 50, 5),
    (list(range(1, 21)), 90, 18),
    ([1, 2, 3, 4], 25, 1),
    ([1, 2, 3, 4], 50, 2),
    ([1, 2, 3, 4], 75, 3),
    ([4, 1, 3, 2], 100, 4),
    ([4, 1, 3, 2], 0, 1),
    ([7.5], 90, 7.5),
    ([300, 840], 90, 840),
])
def test_a_percentile_is_the_nearest_rank(values, q, expected):
    assert percentile(values, q) == expected


def test_no_values_have_no_percentile_and_an_empty_summary():
    assert percentile([], 90) is None
    assert summary([]) == {"n": 0, "median_s": None, "p90_s": None, "mean_s": None}


def test_a_summary_rounds_to_a_tenth_of_a_second():
    assert summary([300.0, 840.0, 880.0]) == {"n": 3, "median_s": 840.0, "p90_s": 880.0,
                                               "mean_s": 673.3}


# -- the day's figures ----------------------------------------------------------------------------

def test_the_days_figures_per_service(day):
    figures = day_stats(day.state, AGENCIES, T0 + 1400)
    ktp, kk, skck = (figures["services"][s] for s in ("ktp", "kk", "skck"))
    assert {k: ktp[k] for k in ("issued", "done", "missed", "waiting", "serving")} == \
        {"issued": 2, "done": 2, "missed": 0, "waiting": 0, "serving": 0}
    assert ktp["wait"] == {"n": 2, "median_s": 570.0, "p90_s": 840.0, "mean_s": 570.0}
    assert ktp["service_time"] == {"n": 2, "median_s": 450.0, "p90_s": 600.0, "mean_s": 450.0}
    assert (kk["issued"], kk["missed"], kk["wait"]["median_s"]) == (1, 1, 880.0)
    assert kk["service_time"]["n"] == 0            # a no-show is no service
    assert (skck["issued"], skck["waiting"], skck["wait"]["n"]) == (1, 1, 0)
    assert (figures["issued"], figures["done"], figures["missed"], figures["waiting"]) == \
        (4, 2, 1, 1)
    assert figures["day"] == DAY and figures["ts"] == T0 + 1400


def test_the_days_figures_per_agency(day):
    agencies = day_stats(day.state, AGENCIES, T0 + 1400)["agencies"]
    dukcapil = agencies["Disdukcapil"]
    assert {k: dukcapil[k] for k in ("issued", "done", "missed", "waiting")} == \
        {"issued": 3, "done": 2, "missed": 1, "waiting": 0}
    assert dukcapil["wait"] == {"n": 3, "median_s": 840.0, "p90_s": 880.0, "mean_s": 673.3}
    assert agencies["Polres"]["issued"] == 1 and agencies["Polres"]["wait"]["n"] == 0


def test_service_times_against_the_published_standard(day):
    figures = day_stats(day.state, AGENCIES, T0 + 1400, {"ktp": 8})    # 480 s
    assert figures["services"]["ktp"]["standard"] == {"target_s": 480, "within": 1,
                                                       "share_within": 0.5}
    assert figures["services"]["kk"]["standard"] is None
    assert figures["agencies"]["Disdukcapil"]["standard"] == {"within": 1, "share_within": 0.5}


def test_a_serving_ticket_counts_as_serving(day):
    day.press(1500, "3", "next")
    skck = day_stats(day.state, AGENCIES, T0 + 1600)["services"]["skck"]
    assert (skck["waiting"], skck["serving"], skck["wait"]["median_s"]) == (0, 1, 200.0)


def test_a_transferred_ticket_is_counted_where_it_was_taken_and_timed_where_it_was_served():
    d = Day()
    d.take(0, "kk")                               # B001
    d.press(100, "1", "next")                     # called at kk after 100 s
    d.press(160, "1", "transfer", to="ktp")
    d.press(400, "2", "next")                     # called again at ktp
    d.press(700, "2", "next")                     # done after 300 s there
    figures = day_stats(d.state, AGENCIES, T0 + 800)["services"]
    assert (figures["kk"]["issued"], figures["kk"]["done"]) == (1, 1)
    assert figures["kk"]["wait"]["median_s"] == 100.0        # until the first call
    assert figures["ktp"]["issued"] == 0
    assert figures["ktp"]["service_time"]["median_s"] == 300.0


def test_the_average_service_time_follows_the_days_visits(day):
    # prior 300 s; A001 took 600: 300 + 0.2 * 300 = 360; A002 took 300: 360 - 0.2 * 60 = 348
    assert day.state.lines["ktp"].avg_service_s == pytest.approx(348.0)
    assert day.state.lines["kk"].avg_service_s == 300.0


# -- the estimate ----------------------------------------------------------------------------------

def told(mean: float, ahead: int, counters: float = 1.0) -> float:
    """What a visitor is told of a projected mean wait: its median (``median_share``) with the
    spread of service times before the day has shown its own."""
    return round(mean * median_share(CV_PRIOR, 1 + ahead / counters), 1)


def test_play_gives_one_counter_one_ticket_per_visit():
    lines = {"ktp": LineLoad(waiting=2, avg_service_s=300)}
    per = lines["ktp"].per_ticket_s
    p = play({"ktp": [(1, 1, "A001"), (1, 2, "A002")]}, lines, [estimate.Desk(("ktp",))],
             now=0.0)
    assert p.starts == {"A001": 0.0, "A002": round(per, 1)}
    assert p.new_ticket == {"ktp": round(2 * per, 1)}


def test_the_no_show_rate_starts_at_the_prior_and_follows_the_day():
    prior, weight = estimate.NO_SHOW_PRIOR, estimate.NO_SHOW_PRIOR_WEIGHT
    assert LineLoad(0, 300.0).no_show == pytest.approx(prior)
    assert LineLoad(0, 300.0, done=80, missed=20).no_show == \
        pytest.approx((20 + prior * weight) / (100 + weight))
    # a ticket ahead costs the average if it comes, and the short wait before a skip if not
    m = LineLoad(0, 300.0).no_show
    assert LineLoad(0, 300.0).per_ticket_s == pytest.approx(
        (1 - m) * 300.0 + m * min(estimate.NO_SHOW_S, 300.0))


def test_no_open_counter_means_no_estimate():
    d = Day()
    d.take(0, "ktp")
    assert service_wait(d.state, "ktp") is None
    assert wait_for(d.state, "ktp", 0) is None


def test_one_open_idle_counter_serves_the_line_one_ticket_at_a_time():
    d = Day()
    d.press(0, "2", "open")
    d.take(1, "ktp")
    d.take(2, "ktp")
    per = LineLoad(2, 300.0).per_ticket_s
    assert wait_for(d.state, "ktp", 0, now=T0 + 3) == 0.0        # A001: called at once
    assert wait_for(d.state, "ktp", 1, now=T0 + 3) == told(per, 1)
    assert service_wait(d.state, "ktp", now=T0 + 3) == told(2 * per, 2)


def test_two_open_counters_halve_the_wait():
    d = Day()
    d.press(0, "2", "open")
    d.press(0, "4", "open")
    for i in range(4):
        d.take(1 + i, "ktp")
    per = LineLoad(4, 300.0).per_ticket_s
    # A001 and A002 at once, A003 and A004 after one visit each, a new ticket after two
    assert service_wait(d.state, "ktp", now=T0 + 10) == told(2 * per, 4, counters=2)


def test_a_busy_counter_is_free_when_its_visitor_is_likely_done():
    d = Day()
    d.take(0, "skck")
    d.press(0, "3", "next")                                    # 4K-01 since T0, avg 600
    assert service_wait(d.state, "skck", now=T0 + 100) == told(500.0, 0)   # 600 - 100 spent
    floor = estimate.RESIDUAL_FLOOR * 600.0
    assert service_wait(d.state, "skck", now=T0 + 590) == told(floor, 0)   # long visits run on


def test_the_documented_scale_to_example():
    assert scale_to([0.0, 300.0, 600.0], 900.0) == [0.0, 450.0, 900.0]
    assert scale_to([0.0, 300.0], None) == [0.0, 300.0]
