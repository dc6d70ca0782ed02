"""The episode rules: from one evaluation's figures and the scopes' streaks, which episodes open
and which end. Pure: no database, no clock, no network, so every rule is tested directly.

A scope counts once per new poll of it (an evaluation that finds no newer poll changes
nothing), so "3 consecutive polls" means three polls, however often the sensor runs. The
streaks live in the sensor's cursor (:func:`load_states` / :func:`dump_states`): losing the
cursor only restarts a streak. Open episodes live in DuckDB, which is what they are decided
against, so a lost cursor never opens a second episode for a scope.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime

from pipelines.alerts.figures import OpenEpisode, ScopeFigures, Snapshot
from pipelines.alerts.rules import AlertRules, ScopeRule

__all__ = [
    "Closed",
    "Judgement",
    "Opened",
    "ScopeState",
    "Step",
    "dump_states",
    "load_states",
    "step",
]


@dataclass(frozen=True)
class ScopeState:
    """A scope's streak: the last poll counted, consecutive short and not-short polls, when
    the short streak began, and the lowest net staffing while an episode is open."""

    seen: str | None = None  # ISO time of the last poll counted
    short: int = 0
    ok: int = 0
    since: str | None = None  # ISO time of the first short poll of the streak
    worst: float | None = None


@dataclass(frozen=True)
class Judgement:
    """One scope at one poll: short now (current interval), short next (the next interval's
    requirement against on-queue now); None where there is no requirement to judge by."""

    figures: ScopeFigures
    rule: ScopeRule
    short_now: bool | None
    short_next: bool | None

    @property
    def judged(self) -> bool:
        return self.short_now is not None or self.short_next is not None

    @property
    def short(self) -> bool:
        return bool(self.short_now) or bool(self.short_next)

    @property
    def short_in(self) -> str:
        both = [
            name for name, flag in (("current", self.short_now), ("next", self.short_next)) if flag
        ]
        return " and ".join(both)

    @property
    def net(self) -> float | None:
        f = self.figures
        return None if f.required is None else f.on_queue - f.required

    @property
    def next_net(self) -> float | None:
        f = self.figures
        return None if f.next_required is None else f.on_queue - f.next_required

    @property
    def lowest_net(self) -> float | None:
        nets = [n for n in (self.net, self.next_net) if n is not None]
        return min(nets) if nets else None


@dataclass(frozen=True)
class Opened:
    judgement: Judgement
    short_since: datetime


@dataclass(frozen=True)
class Closed:
    episode: OpenEpisode
    judgement: Judgement
    worst: float | None


@dataclass(frozen=True)
class Step:
    states: dict[str, ScopeState]
    opened: list[Opened] = field(default_factory=list)
    closed: list[Closed] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # why scopes were not judged, quiet hours


def judge(figures: ScopeFigures, rule: ScopeRule) -> Judgement:
    if not rule.enabled:
        return Judgement(figures, rule, False, False)
    return Judgement(
        figures,
        rule,
        rule.threshold.is_short(figures.required, figures.on_queue),
        rule.threshold.is_short(figures.next_required, figures.on_queue),
    )


def step(snapshot: Snapshot, rules: AlertRules, states: dict[str, ScopeState]) -> Step:
    """Count every scope's new poll and decide the episodes that open and end.

    Opens when a scope has been short at ``min_polls`` consecutive polls and the poll is not
    in its quiet hours (a streak that reaches the count in quiet hours opens at the first short
    poll after them). Ends after ``recovery_polls`` consecutive polls not short; the recovery
    is reported whatever the hour, since it closes an alert already sent. A poll without a
    requirement for either interval is not judged and leaves the streak as it was. Without any
    requirement for today nothing is judged (the caller says so).
    """
    result = Step(states=dict(states))
    if not snapshot.requirements_today:
        return result
    for figures in snapshot.figures:
        key = figures.scope_key
        state = result.states.get(key, ScopeState())
        seen = figures.observed_at.isoformat()
        if state.seen is not None and figures.observed_at <= datetime.fromisoformat(state.seen):
            continue  # no newer poll of the scope since the last evaluation
        judgement = judge(figures, rules.for_scope(key))
        episode = snapshot.open_episodes.get(key)
        if not judgement.judged:
            result.states[key] = replace(state, seen=seen)
            result.notes.append(f"{key}: no requirement for the current or next interval")
            continue
        lowest = judgement.lowest_net
        worst = state.worst if episode is not None else None
        if episode is not None and lowest is not None:
            worst = lowest if worst is None else min(worst, lowest)
        if judgement.short:
            state = ScopeState(seen, state.short + 1, 0, state.since or seen, worst)
            if episode is None and state.short >= judgement.rule.min_polls:
                if judgement.rule.is_quiet(figures.observed_at):
                    result.notes.append(f"{key}: short, but in quiet hours")
                else:
                    result.opened.append(Opened(judgement, datetime.fromisoformat(state.since)))
                    state = replace(state, worst=lowest)
        else:
            state = ScopeState(seen, 0, state.ok + 1, None, worst)
            if episode is not None and state.ok >= judgement.rule.recovery_polls:
                result.closed.append(Closed(episode, judgement, worst))
                state = replace(state, worst=None)
        result.states[key] = state
    return result


def load_states(cursor: str | None) -> dict[str, ScopeState]:
    """The streaks kept in the sensor's cursor (an unreadable cursor starts afresh)."""
    if not cursor:
        return {}
    try:
        data = json.loads(cursor)
        return {key: ScopeState(**value) for key, value in data.get("scopes", {}).items()}
    except (ValueError, TypeError, AttributeError):
        return {}


def dump_states(states: dict[str, ScopeState]) -> str:
    return json.dumps({"scopes": {k: asdict(v) for k, v in sorted(states.items())}})
