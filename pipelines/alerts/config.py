"""The alert settings, read once per evaluation, and the webhook destinations they name.

A webhook URL carries its own credential (Slack's and Teams' URLs are bearer tokens), so it is
handled like the Kore client secret: read from its setting when an evaluation needs it, never
resource config, never in a message, a log line, a table or a report. A :class:`Destination`
shows only its name and a fingerprint (the first 16 hex digits of the URL's SHA-256: tells
two URLs apart, reveals neither).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pipelines import settings
from pipelines.accounts import Account
from pipelines.alerts.rules import AlertRules, QuietHours, RulesError, ScopeRule, Threshold
from pipelines.alerts.rules import load_rules as _load_rules
from pipelines.net import is_loopback_host

__all__ = ["DESTINATION_SETTINGS", "AlertSettings", "Destination"]

# Destination name -> the setting holding its URL; the name is also the body format.
DESTINATION_SETTINGS = {
    "slack": "AVAILABILITY_ALERT_SLACK_WEBHOOK_URL",
    "teams": "AVAILABILITY_ALERT_TEAMS_WEBHOOK_URL",
    "json": "AVAILABILITY_ALERT_JSON_WEBHOOK_URL",
}
# The longest pause between two attempts of one message, whatever the backoff setting.
BACKOFF_CAP_S = 600.0


@dataclass(frozen=True)
class Destination:
    """One webhook: ``name`` (slack, teams, json) and its URL, which ``repr`` never shows."""

    name: str
    url: str = field(repr=False)

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.url.encode()).hexdigest()[:16]

    @classmethod
    def checked(cls, name: str, url: str, allow_insecure_http: bool) -> Destination:
        """The destination, or an error naming the setting (never the value): http(s) only,
        plain http only to this machine unless AVAILABILITY_ALERT_ALLOW_INSECURE_HTTP."""
        variable = DESTINATION_SETTINGS[name]
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
        except ValueError:
            parts, host = None, ""
        if parts is None or parts.scheme not in ("http", "https") or not host:
            raise settings.SettingsError(
                f"{variable} must be an http(s) URL with a host (the value is not shown)"
            )
        if parts.scheme == "http" and not is_loopback_host(host) and not allow_insecure_http:
            raise settings.SettingsError(
                f"{variable} is plain http:// to a host that is not this machine; use https://, "
                "or set AVAILABILITY_ALERT_ALLOW_INSECURE_HTTP=true (the value is not shown)"
            )
        return cls(name, url)


@dataclass(frozen=True)
class AlertSettings:
    """Everything one evaluation needs; see the settings' docs in settings_declared."""

    rules: AlertRules
    destinations: tuple[Destination, ...]
    time_zone: str = "UTC"
    interval_minutes: int = 15
    max_gap_seconds: float = 120.0
    freshness_minutes: float = 5.0
    timeout_s: float = 5.0
    deadline_s: float = 30.0
    max_attempts: int = 5
    backoff_s: float = 30.0
    rate_limit_per_minute: int = 20
    account: str = "default"  # the account judged: the JSON body's "account"
    name_account: bool = False  # Slack and Teams name it too (with an accounts file)

    @classmethod
    def from_env(cls, account: Account | None = None) -> AlertSettings:
        """Read and check every alert setting; errors name the variable (or the rules file's
        line and field), never a URL. For an ``account`` of an accounts file: its time zone
        (intervals, quiet hours of rules that name no zone) and its name in every body."""
        zone = (account.time_zone if account else None) or settings.get("AVAILABILITY_TIME_ZONE")
        try:
            default = ScopeRule(
                threshold=Threshold.parse(
                    settings.get("AVAILABILITY_ALERT_SHORTFALL"), "AVAILABILITY_ALERT_SHORTFALL"
                ),
                min_polls=settings.get("AVAILABILITY_ALERT_MIN_POLLS"),
                recovery_polls=settings.get("AVAILABILITY_ALERT_RECOVERY_POLLS"),
                quiet_hours=QuietHours.parse(
                    settings.get("AVAILABILITY_ALERT_QUIET_HOURS") or "",
                    "AVAILABILITY_ALERT_QUIET_HOURS",
                ),
                time_zone=zone,
            )
            rules = _load_rules(settings.get("AVAILABILITY_ALERT_RULES_FILE"), default)
        except RulesError as exc:
            raise settings.SettingsError(str(exc)) from None
        insecure = settings.get("AVAILABILITY_ALERT_ALLOW_INSECURE_HTTP")
        destinations = tuple(
            Destination.checked(name, settings.get(variable), insecure)
            for name, variable in DESTINATION_SETTINGS.items()
            if settings.is_set(variable)
        )
        return cls(
            rules=rules,
            destinations=destinations,
            time_zone=zone,
            interval_minutes=settings.get("AVAILABILITY_INTERVAL_MINUTES"),
            max_gap_seconds=settings.get("AVAILABILITY_MAX_GAP_SECONDS"),
            freshness_minutes=settings.get("AVAILABILITY_FRESHNESS_MINUTES"),
            timeout_s=settings.get("AVAILABILITY_ALERT_TIMEOUT_SECONDS"),
            deadline_s=settings.get("AVAILABILITY_ALERT_DEADLINE_SECONDS"),
            max_attempts=settings.get("AVAILABILITY_ALERT_MAX_ATTEMPTS"),
            backoff_s=settings.get("AVAILABILITY_ALERT_BACKOFF_SECONDS"),
            rate_limit_per_minute=settings.get("AVAILABILITY_ALERT_RATE_LIMIT_PER_MINUTE"),
            account=account.name if account else settings.get("AVAILABILITY_ACCOUNT_NAME"),
            name_account=account is not None and not account.implicit,
        )

    def backoff(self, attempt: int) -> float:
        """Pause after the ``attempt``-th failed try: backoff, doubling, at most 600 s."""
        return min(self.backoff_s * 2 ** (attempt - 1), BACKOFF_CAP_S)
