"""Property-based tests (hypothesis) for the response parser, the tick write and the span builder.

- ``parse_availability`` on arbitrary bucket maps and arbitrary text: it raises nothing but
  KoreInvalidResponseError, keeps every bucket key and every agent, and whatever it accepts
  lands through ``write_tick`` (DuckDB derives the tables) with one row per (scope, agent),
  the status chosen by precedence, and the PII policy honoured.
- ``build_spans`` on arbitrary observation sequences: spans never overlap per (scope, agent),
  stay inside the day, and their total seconds per (scope, agent, status) equal the observed
  agent-seconds computed here independently from the documented definition: an agent listed
  with status s at a successful poll t of scope S holds s over [t, min(next successful poll of
  S, t + max_gap)), clipped to the day.

Example counts are modest so the file runs in well under half a minute.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from pipelines.coverage import CoverageSettings, build_spans, check_spans_no_overlap, day_bounds
from pipelines.kore import KoreInvalidResponseError, parse_availability_body
from pipelines.polling import agent_statuses, status_rank
from pipelines.scopes import Scope
from pipelines.warehouse import LANDING_COLUMNS, PiiPolicy, Tick, connect, write_tick

# Hypothesis keeps caches in .hypothesis/ of the working directory; keep the work tree clean.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "kore-availability-hypothesis")

T0 = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
BUCKETS = ["AVAILABLE", "BUSY", "AWAY", "OFFLINE", "BREAK", "Training", ""]
FAST = settings(
    max_examples=60,
    deadline=None,
    database=None,  # no .hypothesis directory in the work tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ---- strategies ----------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)
# A small pool (so one agent often appears in two buckets) plus the occasional odd string.
agent_ids = st.sampled_from(["a-1", "a-2", "ü-3", "a'4;--"]) | st.text(min_size=1)
agents = st.fixed_dictionaries(
    {"_id": agent_ids},
    optional={
        "userId": json_values,
        "firstName": json_values,
        "emailId": json_values,
        "phoneNumber": json_values,
        "isDigitalEnabled": json_values,
        "channelCapacity": json_values
        | st.dictionaries(
            st.sampled_from(["voice", "liveChat", "email"]),
            st.fixed_dictionaries(
                {},
                optional={
                    "isEnabled": json_values,
                    "totalCapacity": json_values,
                    "usedCapacity": st.integers(-5, 5),
                },
            ),
            max_size=3,
        ),
        "novel": json_values,
    },
)


@st.composite
def valid_maps(draw: st.DrawFn) -> dict[str, Any]:
    """Bucket maps Kore could send; often one agent is listed in a second bucket as well."""
    data = draw(
        st.dictionaries(
            st.sampled_from(BUCKETS) | st.text(max_size=8),
            st.none() | st.lists(agents, max_size=6),
            max_size=6,
        )
    )
    listed = [a for members in data.values() for a in members or []]
    for _ in range(draw(st.integers(0, 3)) if listed else 0):
        agent = draw(st.sampled_from(listed))
        bucket = draw(st.sampled_from(BUCKETS[:5]))
        data[bucket] = [*(data.get(bucket) or []), dict(agent)]
    return data


junk_values = (
    json_scalars.filter(lambda v: v is not None)
    | st.lists(json_scalars, min_size=1, max_size=3)
    | st.lists(st.fixed_dictionaries({"_id": st.none() | st.integers() | st.just("")}), min_size=1)
    | st.dictionaries(st.text(max_size=4), json_scalars, max_size=2)
)
any_maps = st.dictionaries(
    st.text(max_size=8), st.none() | st.lists(agents, max_size=3) | junk_values, max_size=5
)


def landing_row(body: str) -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            {
                "scope_key": "all",
                "requested_at": T0,
                "answered_at": T0 + timedelta(milliseconds=40),
                "observed_at": T0 + timedelta(milliseconds=20),
                "attempts": 1,
                "http_status": 200,
                "latency_ms": 40.0,
                "outcome": "ok",
                "error_kind": None,
                "error_text": None,
                "body": body,
            }
        ],
        columns=LANDING_COLUMNS,
    )
    for column in ("requested_at", "answered_at", "observed_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


# ---- the parser ----------------------------------------------------------------------------


@FAST
@given(st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_arbitrary_text_is_accepted_or_refused_cleanly(text: str) -> None:
    try:
        buckets, stored = parse_availability_body(text)
    except KoreInvalidResponseError:
        return
    assert isinstance(buckets, dict) and json.loads(stored) is not None


@FAST
@given(any_maps, st.sampled_from([None, "\ud800", "\udfff"]))
def test_bucket_maps_keep_every_key_and_agent_or_are_refused(
    data: dict[str, Any], surrogate: str | None
) -> None:
    if surrogate and data:  # a lone surrogate Python accepts and DuckDB would refuse
        data = {**data, "LONE" + surrogate: []}
    text = json.dumps(data)
    usable = all(
        value is None
        or (
            isinstance(value, list)
            and all(
                isinstance(a, dict) and isinstance(a.get("_id"), str) and a["_id"] for a in value
            )
        )
        for value in data.values()
    )
    try:
        buckets, stored = parse_availability_body(text)
    except KoreInvalidResponseError:
        assert not usable
        return
    assert usable
    assert len(buckets) == len(data)  # every bucket key kept (a surrogate one rewritten)
    assert sum(map(len, buckets.values())) == sum(len(v or []) for v in data.values())
    stored.encode("utf-8")  # the stored text is always valid UTF-8
    assert parse_availability_body(stored)[0] == buckets


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    database=None,  # no .hypothesis directory in the work tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(valid_maps(), st.sampled_from(["keep", "hash", "drop"]), st.booleans())
def test_whatever_the_parser_accepts_lands_once_per_agent(
    data: dict[str, Any], mode: str, repeat_a_key: bool
) -> None:
    text = json.dumps(data)
    if repeat_a_key and data:
        first = next(iter(data))
        text = text[:-1] + f', {json.dumps(first)}: [{{"_id": "a-again"}}]}}'
    buckets, stored = parse_availability_body(text)
    expected = agent_statuses(buckets)
    policy = PiiPolicy(mode, key=b"p" * 32)
    with connect(":memory:") as con:
        counts = write_tick(
            con,
            Tick("t", "acct", T0, T0),
            landing_row(stored),
            pd.DataFrame({"scope_key": ["all"], "sent_at": [T0]}),
            [Scope("all", "", "All agents")],
            pii=policy,
        )
        rows = con.execute("SELECT agent_id, status FROM snapshots").fetchall()
        landed = con.execute("SELECT body FROM raw_responses").fetchall()[0][0]
        contact = con.execute("SELECT email, phone FROM agents").fetchall()
    assert counts["snapshot_rows"] == len(expected)
    assert dict(rows) == expected and len(rows) == len(expected)
    for agent_id, status in rows:
        listed = [b for b, members in buckets.items() if any(a["_id"] == agent_id for a in members)]
        assert status == min(listed, key=status_rank)
    for email, phone in contact:
        for value in (email, phone):
            if mode == "drop":
                assert value is None
            elif mode == "hash":
                assert value in (None, "") or value.startswith("pii:")
    for members in json.loads(landed).values():
        for agent in members or []:
            for name in ("emailId", "phoneNumber"):
                if mode == "drop":
                    assert name not in agent
                elif mode == "hash" and name in agent:
                    value = agent[name]
                    assert value in (None, "") or value.startswith("pii:")


# ---- the span builder ----------------------------------------------------------------------

DAY = date(2026, 11, 24)
MAX_GAP = 120.0
COVERAGE = CoverageSettings(time_zone="UTC", interval_minutes=15, max_gap_seconds=MAX_GAP)
AGENTS = ["a-1", "a-2", "a-3"]
STATUSES = ["AVAILABLE", "BUSY", "AWAY", "OFFLINE", "BREAK"]

polls = st.lists(
    st.tuples(
        st.integers(min_value=1_000, max_value=200_000),  # gap to the previous poll, in ms
        st.sampled_from([True, True, True, False]),  # mostly successful
        st.dictionaries(
            st.sampled_from(AGENTS),
            st.lists(st.sampled_from(STATUSES), min_size=1, max_size=2),  # 2: listed twice
            max_size=3,
        ),
        st.booleans(),  # also answered a second time at the same instant (another tick)
    ),
    min_size=1,
    max_size=25,
)


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.dictionaries(st.sampled_from(["all", "skill:s"]), polls, min_size=1, max_size=2),
    st.sampled_from(["start", "end"]),
)
def test_spans_never_overlap_and_conserve_observed_agent_seconds(
    sequences: dict[str, list[tuple[int, bool, dict[str, list[str]], bool]]], edge: str
) -> None:
    day_start, day_end = day_bounds(DAY, "UTC")
    # Polls straddle one edge of the day, so clipping and the max-gap lookback are exercised.
    base = day_start - timedelta(seconds=400) if edge == "start" else day_end - timedelta(hours=1)
    raw, snaps = [], []
    observations: dict[str, list[tuple[datetime, dict[str, list[str]]]]] = {}
    for scope, sequence in sequences.items():
        at = base
        for n, (gap_ms, ok, listing, twice) in enumerate(sequence):
            at = at + timedelta(milliseconds=gap_ms)
            for copy in range(2 if twice and ok else 1):
                tick = f"{scope}-{n}-{copy}"
                raw.append((tick, scope, at, "ok" if ok else "error"))
                if not ok:
                    continue
                held = listing if copy == 0 else {a: s[-1:] for a, s in listing.items()}
                for agent, statuses in held.items():
                    snaps += [(tick, scope, at, agent, status) for status in statuses]
                observations.setdefault(scope, []).append((at, held))
    with connect(":memory:") as con:
        con.executemany(
            "INSERT INTO raw_responses (tick_id, scope_key, account_id, requested_at, observed_at,"
            " attempts, outcome) VALUES (?, ?, 'acct', ?, CASE WHEN ? = 'ok' THEN ? END, 1, ?)",
            [(t, s, at, outcome, at, outcome) for t, s, at, outcome in raw],
        )
        if snaps:
            con.executemany(
                "INSERT INTO snapshots (tick_id, scope_key, observed_at, agent_id, status)"
                " VALUES (?, ?, ?, ?, ?)",
                snaps,
            )
        build_spans(con, DAY, COVERAGE)
        spans = con.execute(
            "SELECT scope_key, agent_id, status, span_start, span_end FROM agent_status_spans"
        ).fetchall()
        overlap = check_spans_no_overlap(con, DAY)
    assert overlap.passed, overlap.metadata
    by_member: dict[tuple[str, str], list[tuple[datetime, datetime]]] = {}
    totals: dict[tuple[str, str, str], float] = {}
    for scope, agent, status, start, end in spans:
        assert day_start <= start < end <= day_end
        by_member.setdefault((scope, agent), []).append((start, end))
        key = (scope, agent, status)
        totals[key] = totals.get(key, 0.0) + (end - start).total_seconds()
    for intervals in by_member.values():
        intervals.sort()
        assert all(a[1] <= b[0] for a, b in zip(intervals, intervals[1:], strict=False))
    assert _rounded(totals) == _rounded(_expected_seconds(observations, day_start, day_end))


def _expected_seconds(
    observations: dict[str, list[tuple[datetime, dict[str, list[str]]]]],
    day_start: datetime,
    day_end: datetime,
) -> dict[tuple[str, str, str], float]:
    """Observed agent-seconds per (scope, agent, status), straight from the definition."""
    totals: dict[tuple[str, str, str], float] = {}
    gap = timedelta(seconds=MAX_GAP)
    for scope, seen in observations.items():
        # Responses at the same instant are one observation point: merge their listings.
        points: dict[datetime, dict[str, list[str]]] = {}
        for at, listing in seen:
            merged = points.setdefault(at, {})
            for agent, statuses in listing.items():
                merged.setdefault(agent, []).extend(statuses)
        times = sorted(points)
        for n, at in enumerate(times):
            window_end = at + gap if n + 1 == len(times) else min(times[n + 1], at + gap)
            start, end = max(at, day_start), min(window_end, day_end)
            if end <= start:
                continue
            for agent, statuses in points[at].items():
                status = min(statuses, key=status_rank)
                key = (scope, agent, status)
                totals[key] = totals.get(key, 0.0) + (end - start).total_seconds()
    return totals


def _rounded(totals: dict[tuple[str, str, str], float]) -> dict[tuple[str, str, str], float]:
    return {key: round(value, 3) for key, value in totals.items() if round(value, 3) > 0}
