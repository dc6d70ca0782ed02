"""The benchmark harness's own arithmetic: round order, per-round ratios, median and spread.

Fixed inputs only; nothing here times anything.
"""

from __future__ import annotations

import argparse

import pytest

from benchmarks.common import (
    Figure,
    Spread,
    add_arguments,
    chosen_sizes,
    fmt_spread,
    interleave,
    pair_ratios,
)


def test_interleave_alternates_subject_and_baseline_round_by_round() -> None:
    calls: list[str] = []
    samples = {"a": iter([10.0, 11.0, 12.0]), "b": iter([1.0, 2.0, 3.0])}

    def measure(name: str):
        def run() -> float:
            calls.append(name)
            return next(samples[name])

        return run

    runs = interleave({"a": measure("a"), "b": measure("b")}, repeat=3)

    assert calls == ["a", "b", "a", "b", "a", "b"]
    assert runs == {"a": [10.0, 11.0, 12.0], "b": [1.0, 2.0, 3.0]}


def test_interleave_runs_several_measures_in_order_each_round() -> None:
    calls: list[str] = []
    measures = {name: (lambda n=name: calls.append(n) or 0.0) for name in ("x", "y", "z")}

    interleave(measures, repeat=2)

    assert calls == ["x", "y", "z", "x", "y", "z"]


def test_ratios_are_taken_per_pair_not_between_medians() -> None:
    # Round 2 ran under load for the subject only; per round the subject equals the baseline.
    figure = Figure("b", "f", values=[1.0, 10.0, 100.0], unit="s", baselines=[1.0, 1.0, 100.0])

    assert figure.ratios == [1.0, 10.0, 1.0]
    assert figure.ratio == Spread(n=3, median=1.0, low=1.0, high=10.0, q1=1.0, q3=5.5)
    assert figure.value.median / figure.baseline.median == 10.0  # what per-pair avoids


def test_pair_ratios_refuse_unpaired_samples() -> None:
    assert pair_ratios([6.0, 9.0], [2.0, 3.0]) == [3.0, 3.0]
    with pytest.raises(ValueError, match="not paired"):
        pair_ratios([1.0, 2.0, 3.0], [1.0, 2.0])


def test_spread_median_min_max_and_quartiles() -> None:
    assert Spread.of([5.0, 1.0, 3.0, 2.0, 4.0]) == Spread(
        n=5, median=3.0, low=1.0, high=5.0, q1=2.0, q3=4.0
    )
    even = Spread.of([4.0, 1.0, 3.0, 2.0])
    assert (even.median, even.low, even.high, even.q1, even.q3) == (2.5, 1.0, 4.0, 1.75, 3.25)
    with pytest.raises(ValueError):
        Spread.of([])


def test_figure_without_baseline_has_no_ratio() -> None:
    figure = Figure("b", "f", values=[3.0, 1.0, 2.0], unit="MB")

    assert figure.baseline is None and figure.ratio is None
    assert figure.as_json()["value"]["median"] == 2.0


def test_cells_print_median_then_min_max() -> None:
    assert fmt_spread(Spread.of([1.5, 1.2, 2.0]), "s") == "1.5 s [1.2–2]"
    assert fmt_spread(Spread.of([7.7e6, 2.8e6, 5.6e6]), "rows/s") == "5.60M rows/s [2.80M–7.70M]"
    assert fmt_spread(None) == "—"


def test_repeat_below_three_is_refused_and_quick_picks_small_sizes() -> None:
    full, quick = {"days": 14, "concurrency": [8, 16]}, {"days": 2, "concurrency": [8]}
    parser = argparse.ArgumentParser()
    add_arguments(parser, full, quick)

    defaults = parser.parse_args([])
    assert defaults.repeat == 5
    assert chosen_sizes(defaults, full, quick) == full
    assert chosen_sizes(parser.parse_args(["--quick"]), full, quick) == quick
    override = parser.parse_args(["--quick", "--days", "3", "--repeat", "3"])
    assert chosen_sizes(override, full, quick) == {"days": 3, "concurrency": [8]}
    with pytest.raises(SystemExit):
        parser.parse_args(["--repeat", "2"])
