"""The three bodies a message is sent as: Slack incoming-webhook JSON, a Microsoft Teams
Adaptive Card message, and plain JSON with every figure.

Every body is made from one dict of facts (:func:`facts`), which is also the plain JSON body,
so the three always tell the same story. The facts always carry the ``account``; Slack and
Teams show it only with an accounts file (``named``), where one channel may hear from several
clients whose scopes share names, and a single-account deployment's messages stay as they
were. Scope names come from the scopes file or Kore's listing: outside text. Slack's
``mrkdwn`` reads ``<...>`` as links and mentions (``<!channel>``) and ``&`` as an entity, so
they are escaped as Slack documents (``&amp;``, ``&lt;``, ``&gt;``); Teams' TextBlock Markdown
is not escapable, so outside text goes into FactSet values and a plain (non-Markdown) title
only.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pipelines.alerts.episodes import Closed, Judgement, Opened
from pipelines.alerts.figures import Snapshot

__all__ = ["BODY_FORMATS", "facts", "render"]


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def facts(
    event: str,
    episode_id: str,
    judgement: Judgement,
    snapshot: Snapshot,
    time_zone: str,
    *,
    short_since: datetime,
    alerted_at: datetime,
    worst: float | None = None,
    account: str | None = None,
) -> dict[str, Any]:
    """Every figure of one alert or recovery: the plain JSON body. ``account`` is always a
    field, so a receiver serving several deployments or accounts can route on it."""
    f = judgement.figures
    zone = ZoneInfo(time_zone)
    return {
        "event": event,
        "account": account,
        "episode_id": episode_id,
        "scope_key": f.scope_key,
        "scope_name": f.scope_name,
        "observed_at": _iso(f.observed_at),
        "short_since": _iso(short_since),
        "alerted_at": _iso(alerted_at),
        "ended_at": _iso(f.observed_at) if event == "recovery" else None,
        "threshold": judgement.rule.threshold.text(),
        "short_in": judgement.short_in or "none",
        "on_queue": _round(f.on_queue),
        "current_interval": {
            "start": _iso(snapshot.current.start),
            "end": _iso(snapshot.current.end),
            "local_start": snapshot.current.start.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "required": _round(f.required),
            "net_staffing": _round(judgement.net),
            "short": judgement.short_now,
            "requirement_source": f.requirement_source,
        },
        "next_interval": {
            "start": _iso(snapshot.next.start),
            "end": _iso(snapshot.next.end),
            "local_start": snapshot.next.start.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "required": _round(f.next_required),
            "net_staffing": _round(judgement.next_net),
            "short": judgement.short_next,
        },
        "worst_net_staffing": _round(worst),
        "time_zone": time_zone,
    }


def for_alert(
    opened: Opened, episode_id: str, snapshot: Snapshot, time_zone: str, account: str | None = None
) -> dict[str, Any]:
    return facts(
        "alert",
        episode_id,
        opened.judgement,
        snapshot,
        time_zone,
        short_since=opened.short_since,
        alerted_at=opened.judgement.figures.observed_at,
        worst=opened.judgement.lowest_net,
        account=account,
    )


def for_recovery(
    closed: Closed, snapshot: Snapshot, time_zone: str, account: str | None = None
) -> dict[str, Any]:
    return facts(
        "recovery",
        closed.episode.episode_id,
        closed.judgement,
        snapshot,
        time_zone,
        short_since=closed.episode.short_since,
        alerted_at=closed.episode.alerted_at,
        worst=closed.worst,
        account=account,
    )


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+g}" if value < 0 else f"{value:g}"


def _agents(value: float) -> str:
    return f"{value:g} agent{'' if value == 1 else 's'}"


def _local(at: str, f: dict[str, Any]) -> str:
    """An ISO instant of the facts as local wall-clock time (seconds)."""
    return datetime.fromisoformat(at).astimezone(ZoneInfo(f["time_zone"])).strftime("%H:%M:%S")


def _headline(f: dict[str, Any], named: bool = False) -> str:
    """The one line a notification shows; with several accounts it opens with the account's
    name, since the same scope names (Sales, Support) recur across clients."""
    text = _headline_text(f)
    return f"[{f['account']}] {text}" if named and f.get("account") else text


def _headline_text(f: dict[str, Any]) -> str:
    current, following = f["current_interval"], f["next_interval"]
    now, later = current["local_start"][-5:], following["local_start"][-5:]
    if f["event"] == "recovery":
        return (
            f"Recovered: {f['scope_name']} ({f['scope_key']}) has {_agents(f['on_queue'])} on "
            f"queue, required {_num(current['required'])} (net {_num(current['net_staffing'])}); "
            f"worst net staffing in the episode {_num(f['worst_net_staffing'])}"
        )
    where = {
        "current": f"the {now} interval",
        "next": f"the next interval ({later})",
        "current and next": f"the {now} interval and the next ({later})",
    }.get(f["short_in"], "an interval")
    needed = current["required"] if f["short_in"] != "next" else following["required"]
    net = current["net_staffing"] if f["short_in"] != "next" else following["net_staffing"]
    return (
        f"Short-staffed: {f['scope_name']} ({f['scope_key']}) has {_agents(f['on_queue'])} "
        f"on queue for {where}, required {_num(needed)} (net {_num(net)}; "
        f"threshold {f['threshold']})"
    )


def _lines(f: dict[str, Any], named: bool = False) -> list[tuple[str, str]]:
    current, following = f["current_interval"], f["next_interval"]
    lines = [("Account", str(f["account"]))] if named and f.get("account") else []
    lines += [
        ("Scope", f"{f['scope_name']} ({f['scope_key']})"),
        ("On queue", f"{f['on_queue']:g}"),
        (
            f"Now ({current['local_start']} {f['time_zone']})",
            f"required {_num(current['required'])}, net {_num(current['net_staffing'])}",
        ),
        (
            f"Next ({following['local_start'][-5:]})",
            f"required {_num(following['required'])}, net {_num(following['net_staffing'])}",
        ),
        ("Short since", _local(f["short_since"], f)),
    ]
    if f["event"] == "recovery":
        lines.append(("Recovered at", _local(f["ended_at"], f)))
    return [*lines, ("Threshold", f["threshold"])]


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(f: dict[str, Any], named: bool = False) -> dict[str, Any]:
    """Slack incoming webhook: ``text`` (notifications, fallback) plus blocks; ``named``: the
    account opens the headline and the details."""
    headline = _slack_escape(_headline(f, named))
    details = "\n".join(f"*{_slack_escape(k)}:* {_slack_escape(v)}" for k, v in _lines(f, named))
    return {
        "text": headline,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": headline}},
            {"type": "section", "text": {"type": "mrkdwn", "text": details}},
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": _slack_escape(f"episode {f['episode_id']}")}
                ],
            },
        ],
    }


def teams(f: dict[str, Any], named: bool = False) -> dict[str, Any]:
    """A Teams message with one Adaptive Card (what Workflows webhooks and connectors take);
    ``named``: the account is the first fact (outside text: a FactSet value, never Markdown)."""
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "msteams": {"width": "Full"},
                    "body": [
                        {
                            "type": "TextBlock",
                            "text": "Staffing shortfall"
                            if f["event"] == "alert"
                            else "Staffing recovered",
                            "weight": "Bolder",
                            "size": "Medium",
                            "color": "Attention" if f["event"] == "alert" else "Good",
                        },
                        {
                            "type": "FactSet",
                            "facts": [{"title": k, "value": v} for k, v in _lines(f, named)],
                        },
                        {
                            "type": "TextBlock",
                            "text": f"episode {f['episode_id']}",
                            "isSubtle": True,
                            "size": "Small",
                            "wrap": True,
                        },
                    ],
                },
            }
        ],
    }


def plain(f: dict[str, Any], named: bool = False) -> dict[str, Any]:
    return f  # "account" is a field of every JSON body


BODY_FORMATS = {"slack": slack, "teams": teams, "json": plain}


def render(destination: str, f: dict[str, Any], named: bool = False) -> str:
    """The JSON text sent to ``destination`` (slack, teams, json); ``named``: Slack and Teams
    name the account (a deployment with an accounts file)."""
    body = BODY_FORMATS[destination](f, named)
    return json.dumps(body, ensure_ascii=False, sort_keys=False)
