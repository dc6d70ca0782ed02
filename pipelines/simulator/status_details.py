"""Kore's agent-status history built from the simulator's truth: Agent Status Details v3
records and Historical Agent Status Summary intervals.

Both answers are views of :meth:`Simulator.timeline`, so a client that stores them can be
checked against the truth exactly (the model's spans start and end on whole seconds).

How Kore's documented shapes are filled (the assumptions, also in the README):

- A request names local days in a FIXED offset: ``timeZoneOffSet`` is minutes with the sign
  inverted (``-330`` = UTC+05:30, ``300`` = UTC-05:00), no DST. The range is
  ``[startDate 00:00, endDate + 1 day 00:00)`` in that offset, cut at the model's now (no
  history of the future); a span crossing either edge is clipped to it. Inside the range a
  span is never split (not at local midnight either).
- ``primaryStatus`` is the bucket, upper case as the sample (AVAILABLE, BUSY, AWAY, OFFLINE);
  a custom bucket (``custom_status_bucket``) is reported as AWAY, the type of the breaks it
  replaces (Kore's custom statuses can only be Away or Busy). ``secondaryStatus`` is the
  status' own name (the model's detail: Break, Lunch, Training, Login Prep, On Call, ...),
  except plain availability, which the sample reports as ``AVAILABLE``.
- Logged-out time (OFFLINE) is not a self-reported status: it is left out of ``status[]``
  unless ``status_details_offline`` is set; the log-in and log-out instants are ``events``
  (``entry`` as the sample, ``exit`` for the log-out) with UTC ``at`` (``...Z``, as the
  sample). Status times are zone-less local wall times in the requested offset.
- The summary lists every interval of the granularity from the range's start (UTC ``...Z``
  times, as the sample) that began before now; per interval, for each of AVAILABLE, BUSY and
  AWAY present in it (first-seen order), ``AgentStatus`` "Available" / "Busy" / "Away" with
  its seconds, then ``AgentState`` "<Status>:Idle" and "<STATUS>:Interacting" (the sample's
  casing) splitting them: Interacting is handling a contact (On Call, On Chat). OFFLINE time
  is never summarized (an interval with none of the three has ``status: []``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from pipelines.coverage.calendar import local_days

if TYPE_CHECKING:
    from pipelines.simulator.model import Simulator, StatusSpan
    from pipelines.simulator.roster import Agent

__all__ = [
    "HANDLING",
    "HistoryRange",
    "duration_text",
    "primary_status",
    "secondary_status",
    "status_details",
    "status_summary",
    "true_spans",
]

HANDLING = ("On Call", "On Chat")
_PRIMARY = ("AVAILABLE", "BUSY", "AWAY", "OFFLINE")
_SUMMARIZED = {"AVAILABLE": "Available", "BUSY": "Busy", "AWAY": "Away"}


@dataclass(frozen=True)
class HistoryRange:
    """Local days ``first`` .. ``last`` (inclusive) in Kore's inverted offset, as UTC instants."""

    first: date
    last: date
    offset_minutes: int

    @property
    def zone(self) -> timezone:
        """The fixed zone the request's days and zone-less times are in."""
        return timezone(timedelta(minutes=-self.offset_minutes))

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, datetime.min.time(), self.zone).astimezone(UTC)

    @property
    def end(self) -> datetime:
        last = self.last + timedelta(days=1)
        return datetime.combine(last, datetime.min.time(), self.zone).astimezone(UTC)

    def served_end(self, now: datetime) -> datetime:
        """Where the served history ends: the range's end, or now if earlier."""
        return max(self.start, min(self.end, now))


def primary_status(bucket: str) -> str:
    """``primaryStatus`` of a bucket (a custom bucket is of type AWAY)."""
    return bucket if bucket in _PRIMARY else "AWAY"


def secondary_status(bucket: str, detail: str) -> str:
    """``secondaryStatus``: the status' own name; ``AVAILABLE`` for plain availability."""
    return "AVAILABLE" if bucket == "AVAILABLE" else detail


def duration_text(seconds: float) -> str:
    """``HH:MM:SS`` (hours grow past 99 for a span of days)."""
    total = round(seconds)
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _local(at: datetime, zone: timezone) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S")


def _utc(at: datetime, millis: bool = False) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z" if millis else "%Y-%m-%dT%H:%M:%SZ")


def true_spans(
    sim: Simulator, start: datetime, end: datetime, agent_ids: Sequence[str]
) -> dict[str, list[StatusSpan]]:
    """``Simulator.timeline(start, end, agent_ids)`` per agent, read one model day at a time
    (the model caches a few days, and the timeline walks agents before days, so a month in
    one call would simulate each day once per agent) and merged again across the cuts."""
    out: dict[str, list[StatusSpan]] = {a: [] for a in agent_ids}
    if not agent_ids:
        return out
    for _, lo, hi in local_days(start, end, sim.tz):
        for span in sim.timeline(lo, hi, agent_ids):
            spans = out[span.agent_id]
            last = spans[-1] if spans else None
            if (
                last is not None
                and last.end == span.start
                and (last.bucket, last.detail) == (span.bucket, span.detail)
            ):
                spans[-1] = replace(last, end=span.end)
            else:
                spans.append(span)
    return out


def _ip(agent: Agent) -> str:
    return f"10.32.{agent.index // 250 % 256}.{agent.index % 250 + 1}"


def _events(sim: Simulator, agent: Agent, spans: list[StatusSpan]) -> list[dict[str, Any]]:
    """``entry``/``exit`` where the agent logs in or out, inside the served range."""
    if not spans:
        return []
    before = spans[0].start - timedelta(seconds=1)
    was_off = sim.status_at(agent.agent_id, before)[0] == "OFFLINE"
    events = []
    for span in spans:
        off = span.bucket == "OFFLINE"
        if off != was_off:
            kind = "exit" if off else "entry"
            events.append({"type": kind, "at": _utc(span.start, millis=True), "ip": _ip(agent)})
        was_off = off
    return events


def status_details(
    sim: Simulator, agents: Sequence[Agent], window: HistoryRange, include_offline: bool
) -> list[dict[str, Any]]:
    """The ``data[]`` records of Agent Status Details v3 for ``agents`` (one page)."""
    start, end = window.start, window.served_end(sim.now())
    spans = true_spans(sim, start, end, [a.agent_id for a in agents]) if end > start else {}
    records = []
    for agent in agents:
        own = spans.get(agent.agent_id, [])
        status = [
            {
                "primaryStatus": primary_status(s.bucket),
                "secondaryStatus": secondary_status(s.bucket, s.detail),
                "startTime": _local(s.start, window.zone),
                "endTime": _local(s.end, window.zone),
                "duration": duration_text((s.end - s.start).total_seconds()),
            }
            for s in own
            if include_offline or s.bucket != "OFFLINE"
        ]
        records.append(
            {
                "userId": agent.user_id,
                "aId": agent.agent_id,
                "firstName": agent.first_name,
                "lastName": agent.last_name,
                "email": agent.email,
                "customId": agent.custom_id,
                "status": status,
                "events": _events(sim, agent, own),
            }
        )
    return records


def _interval_sums(
    spans: list[StatusSpan], starts: list[datetime], step: timedelta, end: datetime
) -> list[dict[str, list[float]]]:
    """Per interval: primary status -> [seconds, seconds interacting], first-seen order."""
    sums: list[dict[str, list[float]]] = [{} for _ in starts]
    k = 0
    for span in spans:
        primary = primary_status(span.bucket)
        if primary == "OFFLINE":
            continue
        interacting = span.detail in HANDLING
        while k < len(starts) and starts[k] + step <= span.start:
            k += 1
        j = k
        while j < len(starts) and starts[j] < span.end:
            lo = max(span.start, starts[j])
            hi = min(span.end, starts[j] + step, end)
            if hi > lo:
                entry = sums[j].setdefault(primary, [0.0, 0.0])
                seconds = (hi - lo).total_seconds()
                entry[0] += seconds
                if interacting:
                    entry[1] += seconds
            j += 1
    return sums


def _sec(seconds: float) -> dict[str, str]:
    return {"sum": f"{round(seconds)} sec"}


def status_summary(
    sim: Simulator, agents: Sequence[Agent], window: HistoryRange, granularity: timedelta
) -> list[dict[str, Any]]:
    """The ``data[]`` records of Historical Agent Status Summary for ``agents`` (one page)."""
    start, end = window.start, window.served_end(sim.now())
    steps = -(-(end - start) // granularity)  # intervals begun before the served end
    starts = [start + granularity * n for n in range(steps)] if end > start else []
    spans = true_spans(sim, start, end, [a.agent_id for a in agents]) if starts else {}
    records = []
    for agent in agents:
        sums = _interval_sums(spans.get(agent.agent_id, []), starts, granularity, end)
        intervals = []
        for at, per_status in zip(starts, sums, strict=True):
            status: list[dict[str, Any]] = []
            for primary, (total, interacting) in per_status.items():
                name = _SUMMARIZED[primary]
                status += [
                    {"metric": "AgentStatus", "value": name, "stats": _sec(total)},
                    {
                        "metric": "AgentState",
                        "value": f"{name}:Idle",
                        "stats": _sec(total - interacting),
                    },
                    {
                        "metric": "AgentState",
                        "value": f"{primary}:Interacting",
                        "stats": _sec(interacting),
                    },
                ]
            intervals.append(
                {"startTime": _utc(at), "endTime": _utc(at + granularity), "status": status}
            )
        records.append(
            {
                "userId": agent.user_id,
                "firstName": agent.first_name,
                "lastName": agent.last_name,
                "email": agent.email,
                "customId": agent.custom_id,
                "timeInterval": intervals,
            }
        )
    return records
