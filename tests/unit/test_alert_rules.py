"""Alert rules and settings: thresholds, quiet hours, the rules file's errors, webhook URLs
that never show, and the episode rules on figures built by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pipelines.alerts import (
    AlertSettings,
    Destination,
    QuietHours,
    RulesError,
    ScopeRule,
    Threshold,
    bodies,
)
from pipelines.alerts.episodes import judge, step
from pipelines.alerts.figures import Interval, ScopeFigures, Snapshot, intervals_at
from pipelines.alerts.rules import AlertRules, load_rules
from pipelines.settings import SettingsError

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "alerts.example.toml"


@pytest.mark.parametrize(
    ("raw", "required", "on_queue", "short"),
    [
        ("1", 5, 4, True),
        ("1", 5, 5, False),
        (2, 5, 4, False),
        ("10%", 10, 9, True),
        ("10%", 10, 9.5, False),
        ("10%", 0, 0, False),  # nothing required: never short
        ("1", None, 0, None),  # no requirement: not judged
    ],
)
def test_a_threshold_is_agents_or_a_share_of_required(
    raw: object, required: float | None, on_queue: float, short: bool | None
) -> None:
    assert Threshold.parse(raw, "X").is_short(required, on_queue) is short


@pytest.mark.parametrize("raw", ["0", "-1", "150%", "lots", True, "0%"])
def test_a_bad_threshold_is_named(raw: object) -> None:
    with pytest.raises(RulesError, match="AVAILABILITY_ALERT_SHORTFALL"):
        Threshold.parse(raw, "AVAILABILITY_ALERT_SHORTFALL")


def test_quiet_hours_may_wrap_past_midnight() -> None:
    quiet = QuietHours.parse("22:00-07:00", "X")
    assert quiet is not None and quiet.start == time(22) and quiet.end == time(7)
    zone = ZoneInfo("America/New_York")
    late = datetime(2026, 12, 3, 3, 30, tzinfo=UTC)  # 22:30 in New York
    noon = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)  # 12:00 in New York
    assert quiet.contains(late, zone) and not quiet.contains(noon, zone)
    assert QuietHours.parse("", "X") is None
    with pytest.raises(RulesError, match="HH:MM-HH:MM"):
        QuietHours.parse("10pm-7am", "X")


def test_the_example_rules_file_loads() -> None:
    rules = load_rules(EXAMPLE, ScopeRule(Threshold(1)))
    assert rules.for_scope("queue:qu-support").threshold == Threshold(0.15, share=True)
    assert rules.for_scope("skill:sk-vip").is_quiet(datetime(2026, 12, 3, 4, 0, tzinfo=UTC))
    assert not rules.for_scope("all").enabled
    assert rules.for_scope("skill:other") == rules.default


def test_a_rules_file_error_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text(
        '[[scope]]\nkey = "all"\n\n[[scope]]\nkey = "skill:a"\nshortfall = "lots"\n',
        encoding="utf-8",
    )
    with pytest.raises(RulesError) as error:
        load_rules(path, ScopeRule(Threshold(1)))
    assert f"{path}, line 4, scope[1]: field 'shortfall'" in str(error.value)
    path.write_text('[[scope]]\nkey = "all"\nmin_pols = 3\n', encoding="utf-8")
    with pytest.raises(RulesError, match=r"line 1, scope\[0\]: unknown field\(s\) \['min_pols'\]"):
        load_rules(path, ScopeRule(Threshold(1)))


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://hooks.example.com/T0/secret-token", "http(s) URL"),
        ("http://hooks.example.com/T0/secret-token", "plain http://"),
        ("not a url secret-token", "http(s) URL"),
    ],
)
def test_a_bad_webhook_url_is_named_but_never_shown(
    url: str, words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AVAILABILITY_ALERT_SLACK_WEBHOOK_URL", url)
    with pytest.raises(SettingsError) as error:
        AlertSettings.from_env()
    assert "AVAILABILITY_ALERT_SLACK_WEBHOOK_URL" in str(error.value)
    assert words in str(error.value) and "secret-token" not in str(error.value)
    destination = Destination("slack", "https://hooks.example.com/T0/secret-token")
    assert "secret-token" not in repr(destination) and len(destination.fingerprint) == 16


def figures(at: datetime, on_queue: float, required: float | None = 3) -> ScopeFigures:
    return ScopeFigures("all", "All agents", at, on_queue, required, "target", required)


def snapshot(*found: ScopeFigures, today: bool = True) -> Snapshot:
    now = max(f.observed_at for f in found)
    current, following = intervals_at(now, "UTC", 15)
    return Snapshot(now, current, following, today, list(found), {}, [], {})


def test_a_poll_counts_once_however_often_it_is_evaluated() -> None:
    rules = AlertRules(ScopeRule(Threshold(1), min_polls=2))
    t0 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    first = step(snapshot(figures(t0, 1)), rules, {})
    again = step(snapshot(figures(t0, 1)), rules, first.states)  # the same poll
    assert again.states["all"].short == 1 and not again.opened
    later = step(snapshot(figures(t0 + timedelta(minutes=1), 1)), rules, again.states)
    assert [o.judgement.figures.scope_key for o in later.opened] == ["all"]


def test_no_requirement_leaves_the_streak_and_no_day_judges_nothing() -> None:
    rules = AlertRules(ScopeRule(Threshold(1), min_polls=2))
    t0 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    first = step(snapshot(figures(t0, 1)), rules, {})
    gap = step(snapshot(figures(t0 + timedelta(minutes=1), 1, None)), rules, first.states)
    assert gap.states["all"].short == 1 and gap.notes
    none = step(snapshot(figures(t0 + timedelta(minutes=2), 1), today=False), rules, gap.states)
    assert none.states == gap.states and not none.opened


def test_intervals_follow_the_grid_across_midnight() -> None:
    current, following = intervals_at(
        datetime(2026, 12, 3, 4, 59, tzinfo=UTC), "America/New_York", 15
    )
    assert (current.start, current.end) == (
        datetime(2026, 12, 3, 4, 45, tzinfo=UTC),
        datetime(2026, 12, 3, 5, 0, tzinfo=UTC),
    )
    assert str(current.day) == "2026-12-02" and str(following.day) == "2026-12-03"
    assert isinstance(following, Interval)


def test_outside_text_cannot_ping_a_slack_channel_and_json_keeps_it_as_is() -> None:
    t0 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    found = ScopeFigures("all", "<!channel> & Co", t0, 1, 3, "target", 3)
    judged = judge(found, ScopeRule(Threshold(1)))
    facts = bodies.facts(
        "alert", "e-1", judged, snapshot(found), "UTC", short_since=t0, alerted_at=t0
    )
    slack = bodies.slack(facts)
    assert "<!channel>" not in json.dumps(slack)
    assert "&lt;!channel&gt; &amp; Co" in slack["text"]
    assert json.loads(bodies.render("json", facts))["scope_name"] == "<!channel> & Co"
