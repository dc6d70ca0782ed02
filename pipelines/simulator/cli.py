"""``availability simulate``: run the simulator from the command line until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from pipelines.net import is_loopback_host
from pipelines.simulator.config import API_SCOPES, SimulatorConfig
from pipelines.simulator.faults import Faults
from pipelines.simulator.server import SimulatorServer

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="availability simulate",
        description="Run the Kore.ai Agent AI availability simulator on loopback.",
    )
    defaults = SimulatorConfig()
    parser.add_argument("--host", default=defaults.host, help="bind address (loopback only)")
    parser.add_argument("--port", type=int, default=8765, help="port; 0 picks a free one")
    parser.add_argument("--agents", type=int, default=defaults.agents)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=defaults.rate_limit_per_minute,
        help="requests per minute per account; 0 turns the limit off",
    )
    parser.add_argument("--no-retry-after", action="store_true", help="omit Retry-After on 429")
    parser.add_argument("--enforce-jti", action="store_true")
    parser.add_argument("--shape", choices=("v1", "v2"), default=defaults.response_shape)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--custom-status-bucket", default=None, metavar="BUCKET")
    parser.add_argument("--time-zone", default=defaults.time_zone)
    parser.add_argument("--bot-id", default=defaults.bot_id)
    parser.add_argument("--account-id", default=defaults.account_id)
    parser.add_argument("--client-id", default=defaults.client_id)
    parser.add_argument("--org-id", default=defaults.org_id, help="the orgId of the agents listing")
    parser.add_argument("--skills", type=int, default=defaults.skills, help="catalogue skills")
    parser.add_argument("--queues", type=int, default=defaults.queues, help="catalogue queues")
    parser.add_argument(
        "--page-size", type=int, default=defaults.page_size, help="List All Agents page size"
    )
    parser.add_argument(
        "--membership-changes-per-day",
        type=int,
        default=defaults.membership_changes_per_day,
        help="times a local day one agent gains or loses a skill or queue",
    )
    parser.add_argument(
        "--drift-agents",
        type=int,
        default=defaults.drift_agents,
        help="agents a skill or queue filter's answer leaves out and adds vs the listing",
    )
    parser.add_argument(
        "--missing-api-scope",
        action="append",
        choices=sorted(API_SCOPES),
        default=[],
        help="an API scope the app lacks (repeatable): its endpoints answer 403",
    )
    parser.add_argument(
        "--contact-load",
        type=float,
        default=defaults.contact_load,
        help="multiplies every queue's contact volume (0: no contacts)",
    )
    parser.add_argument(
        "--callvolume-time-unit",
        choices=("milliseconds", "seconds"),
        default=defaults.callvolume_time_unit,
        help="unit of the callvolume answer's times",
    )
    parser.add_argument(
        "--callvolume-history-days",
        type=int,
        default=defaults.callvolume_history_days,
        help="days of contact volume served when a request has no fromTimeStamp",
    )
    parser.add_argument(
        "--callvolume-restate-last",
        type=int,
        default=defaults.callvolume_restate_last,
        help="the last N ended intervals report some contacts late (restated later)",
    )
    parser.add_argument(
        "--history-max-days",
        type=int,
        default=defaults.history_max_days,
        help="most local days one status details / userstatus request may span",
    )
    parser.add_argument(
        "--status-details-offline",
        action="store_true",
        help="list logged-out (OFFLINE) spans in Agent Status Details too",
    )
    parser.add_argument(
        "--print-env",
        action="store_true",
        help="also print KORE_CLIENT_SECRET (a simulator-only secret)",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (debug endpoints still answer loopback only)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """``availability simulate``: serve until SIGINT or SIGTERM, then exit 0."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["simulate"]:
        args_list = args_list[1:]
    args = _parser().parse_args(args_list)
    if not is_loopback_host(args.host) and not args.allow_remote:
        print(
            f"refusing to bind to non-loopback host {args.host!r}; pass --allow-remote to do so",
            file=sys.stderr,
        )
        return 2
    config = SimulatorConfig(
        agents=args.agents,
        seed=args.seed,
        host=args.host,
        port=args.port,
        bot_id=args.bot_id,
        account_id=args.account_id,
        client_id=args.client_id,
        rate_limit_per_minute=args.rate_limit or None,
        retry_after_header=not args.no_retry_after,
        enforce_jti=args.enforce_jti,
        response_shape=args.shape,
        custom_status_bucket=args.custom_status_bucket,
        time_zone=args.time_zone,
        faults=Faults(latency_ms=args.latency_ms),
        skills=args.skills,
        queues=args.queues,
        page_size=args.page_size,
        membership_changes_per_day=args.membership_changes_per_day,
        drift_agents=args.drift_agents,
        missing_api_scopes=tuple(args.missing_api_scope),
        org_id=args.org_id,
        contact_load=args.contact_load,
        callvolume_time_unit=args.callvolume_time_unit,
        callvolume_history_days=args.callvolume_history_days,
        callvolume_restate_last=args.callvolume_restate_last,
        history_max_days=args.history_max_days,
        status_details_offline=args.status_details_offline,
    )
    stop = threading.Event()
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        # Installed before binding so a signal during start-up still ends in a clean exit.
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        try:
            server = SimulatorServer(config).start()
        except (OSError, ValueError, KeyError) as exc:  # KeyError: unknown time zone
            print(f"cannot start the simulator: {exc}", file=sys.stderr)
            return 1
        try:
            print(f"listening on {server.base_url}")
            for name, value in server.env(include_secret=args.print_env).items():
                print(f"{name}={value}")
            if not args.print_env:
                print("# KORE_CLIENT_SECRET not shown; pass --print-env to print it")
            sys.stdout.flush()
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
