"""The progress line of long jobs: counts, percent, rate and the time left, not more often than asked."""

from twin.progress import Meter, eta_text


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_it_says_counts_rate_and_time_left_at_most_every_interval_then_at_the_end():
    clock, lines = Clock(), []
    meter = Meter("buildings written", 1000, lines.append, every_s=2.0, clock=clock)
    clock.now += 1.0
    meter.advance(100)  # 1 s after the start: too soon
    clock.now += 1.5
    meter.advance(150)  # 250 done in 2.5 s: 100/s, 750 left
    clock.now += 5.0
    meter.advance(750)
    assert lines == [
        "buildings written: 250/1,000 (25 %), 100.0/s, about 8 s left",
        "buildings written: 1,000/1,000 (100 %), 133.3/s, done in 8 s",
    ]


def test_durations_read_as_a_person_says_them():
    assert [eta_text(s) for s in (4.4, 185, 3720)] == ["4 s", "3 min 05 s", "1 h 02 min"]
