"""Shortfall alerts: tell supervisors, through webhooks, when a scope is short of agents now.

Definitions (the figures are coverage's, :mod:`pipelines.coverage`)
    On-queue now: the agents AVAILABLE or productively BUSY at the scope's latest successful
    poll within AVAILABILITY_FRESHNESS_MINUTES (a head count, not a time-weighted average).
    Required: ``staffing_requirements.required_agents`` of the current interval (the one
    holding "now" on the coverage grid) and of the next interval. Net staffing = on-queue -
    required, for each. A scope is SHORT at a poll when the shortfall (required - on-queue,
    > 0) reaches its threshold, in agents (``2``) or as a share of required (``10%``), for the
    current interval or for the next one (on-queue now against the next requirement: a step
    up in demand is announced before it starts). A poll without a requirement for either
    interval is not judged; without any requirement for the local day nothing is judged and
    the sensor says so.
Episodes
    An episode opens when a scope has been short at ``min_polls`` consecutive polls (outside
    its quiet hours) and ends after ``recovery_polls`` consecutive polls not short: one alert
    and one recovery message per scope and episode, to every configured destination.
Rules
    A default from the settings and per-scope overrides from the rules file
    (:mod:`~pipelines.alerts.rules`).
Delivery
    Slack, Teams and plain JSON bodies (:mod:`~pipelines.alerts.bodies`), bounded attempts,
    backoff, a rate limit per destination and no URL anywhere
    (:mod:`~pipelines.alerts.delivery`, :mod:`~pipelines.alerts.config`).

Modules: ``rules`` and ``config`` (settings), ``figures`` (the one read), ``episodes`` (the
decisions, pure), ``bodies``, ``delivery``, ``store`` (the writes), ``cycle`` (one
evaluation, what the sensor in ``pipelines/defs/alerts`` runs), ``report`` (the report's
section).
"""

from pipelines.alerts.config import AlertSettings, Destination
from pipelines.alerts.cycle import Evaluation, evaluate
from pipelines.alerts.rules import AlertRules, QuietHours, RulesError, ScopeRule, Threshold

__all__ = [
    "AlertRules",
    "AlertSettings",
    "Destination",
    "Evaluation",
    "QuietHours",
    "RulesError",
    "ScopeRule",
    "Threshold",
    "evaluate",
]
