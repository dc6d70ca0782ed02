"""Every unpartitioned asset, check and sensor serves every account of an accounts file, and one
account's failure is its own: the poll's checks, contact volume, raw retention, the alert
sensor, and (in a child process, where account × day partitions exist) the report.

Two accounts, ``acme`` and ``beta``, are two simulators on 127.0.0.1 with their own bot,
Kore account and credentials, in their own time zones and DuckDB files; ``gamma`` is the broken
one (its secret's variable is not set, or its file is not the DuckDB file it should be). The
accounts file is read at run time, so the in-process runs see it through the environment.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from dagster import DagsterInstance, build_sensor_context, materialize

from pipelines.alerts.figures import intervals_at
from pipelines.coverage.calendar import local_date
from pipelines.defs.alerts.sensors import shortfall_alerts
from pipelines.defs.demand.assets import contact_volume
from pipelines.defs.ingest.assets import availability_snapshots
from pipelines.defs.ingest.checks import (
    every_account_polled,
    last_tick_is_fresh,
    last_tick_scopes_succeeded,
    snapshots_have_no_duplicates,
)
from pipelines.defs.maintenance.assets import raw_retention
from pipelines.defs.maintenance.checks import no_raw_rows_past_retention
from pipelines.defs.maintenance.resources import RetentionResource
from pipelines.resources import KoreResource, ScopesResource, WarehouseResource
from pipelines.retention import archive_file
from pipelines.simulator import SimulatorServer
from pipelines.warehouse import connect, registered
from tests.support.membership import per_scope_tick
from tests.support.ops_accounts import ZONES, Accounts, everything_said, rows, text
from tests.support.seeding import seed_raw
from tests.support.webhooks import WebhookReceiver

Factory = Callable[..., SimulatorServer]
PROJECT_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


@pytest.fixture
def two(simulator_factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Accounts:
    return Accounts.start(simulator_factory, tmp_path, monkeypatch)


# --------------------------------------------------------------------------------------------
# 1. The poll's checks
# --------------------------------------------------------------------------------------------

POLL_CHECKS = [
    snapshots_have_no_duplicates,
    last_tick_is_fresh,
    last_tick_scopes_succeeded,
    every_account_polled,
]


def test_checks_judge_every_account_and_every_account_polled_names_the_broken_one(
    two: Accounts, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    instance = DagsterInstance.ephemeral()
    good = materialize(
        [availability_snapshots, *POLL_CHECKS], resources=two.resources(), instance=instance
    )
    assert good.success
    checks = {e.check_name: e for e in good.get_asset_check_evaluations()}
    assert all(check.passed for check in checks.values()), {
        name: check.metadata for name, check in checks.items()
    }
    table = checks["every_account_polled"].metadata["accounts"].value
    assert "| acme |" in table and "| beta |" in table
    duplicates = checks["snapshots_have_no_duplicates"].metadata
    assert {"acme/examples", "beta/examples"} <= set(duplicates)  # each account's own table
    for name in ("acme", "beta"):
        ((ticks, rows_in),) = rows(
            two.db(name), "SELECT count(*), (SELECT count(*) FROM snapshots) FROM ticks"
        )
        assert ticks == 1 and rows_in > 0
        assert rows(two.db(name), "SELECT name FROM warehouse_account") == [(name,)]

    two.write(broken=True)  # gamma joins, without its secret
    broken = materialize(
        [availability_snapshots, *POLL_CHECKS], resources=two.resources(), instance=instance
    )
    assert broken.success  # acme's and beta's ticks landed
    [event] = broken.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["accounts_failed"].value == ["gamma"]
    assert metadata["accounts_landed"].value == 2
    assert "GAMMA_CLIENT_SECRET is not set" in text(metadata["accounts"])
    for name in ("acme", "beta"):
        assert rows(two.db(name), "SELECT count(*) FROM ticks") == [(2,)]
    assert not Path(two.db("gamma")).exists()

    checks = {e.check_name: e for e in broken.get_asset_check_evaluations()}
    polled = checks["every_account_polled"]
    assert not polled.passed and polled.severity.value == "ERROR"
    assert polled.metadata["accounts_failing"].value == ["gamma"]
    lines = text(polled.metadata["accounts"]).splitlines()
    assert [line.split("|")[1].strip() for line in lines[2:]] == ["acme", "beta", "gamma"]
    assert "no tick has been polled" in lines[-1] and "| yes |" in lines[2]
    fresh = checks["last_tick_is_fresh"]
    assert not fresh.passed and fresh.metadata["accounts_failing"].value == ["gamma"]
    assert checks["snapshots_have_no_duplicates"].passed  # nothing to judge in gamma
    assert not checks["last_tick_scopes_succeeded"].passed
    assert checks["last_tick_scopes_succeeded"].severity.value == "WARN"

    said = everything_said(good) + everything_said(broken) + caplog.text
    for secret in two.secrets:
        assert secret not in said


def test_without_an_accounts_file_the_checks_keep_their_single_account_metadata(
    simulator_factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = simulator_factory(agents=20, rate_limit_per_minute=None)
    monkeypatch.delenv("AVAILABILITY_ACCOUNTS_FILE", raising=False)
    for variable, value in server.env(include_secret=True).items():
        monkeypatch.setenv(variable, value)
    scopes = tmp_path / "scopes.toml"
    scopes.write_text('[[scope]]\nkind = "all"\nname = "All agents"\n', encoding="utf-8")
    database = str(tmp_path / "warehouse.duckdb")
    result = materialize(
        [availability_snapshots, *POLL_CHECKS],
        resources={
            "kore": KoreResource(),
            "scopes": ScopesResource(path=str(scopes)),
            "warehouse": WarehouseResource(database=database),
        },
        instance=DagsterInstance.ephemeral(),
    )
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert all(check.passed for check in checks.values())
    assert set(checks["last_tick_is_fresh"].metadata) == {
        "tick_id", "ended_at", "age_seconds", "limit_seconds"
    }  # fmt: skip
    assert "accounts" not in checks["snapshots_have_no_duplicates"].metadata
    assert "| default |" in checks["every_account_polled"].metadata["accounts"].value


# --------------------------------------------------------------------------------------------
# 2. Contact volume
# --------------------------------------------------------------------------------------------


def test_contact_volume_syncs_every_account_and_the_broken_one_fails_the_run_alone(
    two: Accounts,
) -> None:
    two.monkeypatch.setenv("KORE_CALLVOLUME_FIRST_SYNC_DAYS", "1")
    two.write(broken=True)
    result = materialize(
        [contact_volume],
        resources=two.resources(),
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success  # gamma failed, and the run says so...
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "gamma: GAMMA_CLIENT_SECRET is not set" in str(failure.event_specific_data.error)
    # ...after acme's and beta's volume landed, each in its own file, and was recorded.
    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["accounts_failed"].value == ["gamma"]
    for name in ("acme", "beta"):
        assert metadata[f"{name}/rows"].value > 0
        assert rows(two.db(name), "SELECT DISTINCT account_id FROM contact_volume") == [
            (f"{name}-account",)
        ]
    assert metadata["rows"].value == metadata["acme/rows"].value + metadata["beta/rows"].value
    assert not Path(two.db("gamma")).exists()
    for secret in two.secrets:
        assert secret not in everything_said(result)


# --------------------------------------------------------------------------------------------
# 3. Raw retention
# --------------------------------------------------------------------------------------------


def test_retention_retires_every_account_by_its_own_days_into_its_own_archive_folder(
    two: Accounts,
) -> None:
    two.write(broken=True)
    days = {name: seed_raw(two.db(name), ZONES[name], name) for name in ("acme", "beta")}
    with connect(two.db("gamma"), account="someone-else"):
        pass  # gamma's file belongs to another account: it must be refused, not retired
    folder = two.tmp_path / "archive"
    result = materialize(
        [raw_retention, no_raw_rows_past_retention],
        resources={
            "warehouse": two.resources()["warehouse"],
            "retention": RetentionResource(raw_days=14, run_days=14, archive_dir=str(folder)),
        },
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "gamma: AccountMismatchError" in str(failure.event_specific_data.error)
    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["accounts_failed"].value == ["gamma"]
    for name, (old, kept) in days.items():
        written = archive_file(folder / name, "raw_responses", old)
        assert metadata[f"{name}/files_written"].value == [
            written.relative_to(folder / name).as_posix()
        ]
        assert written.is_file()
        assert metadata[f"{name}/kept_from_day"].value == kept.isoformat()
        assert rows(two.db(name), "SELECT tick_id FROM raw_responses") == [(f"tick-{kept}",)]
    assert not (folder / "raw_responses").exists()  # nothing in the single-account layout
    # The check judges every account's file (the failed step skipped it: called directly).
    evaluation = no_raw_rows_past_retention(
        warehouse=two.resources()["warehouse"],
        retention=RetentionResource(raw_days=14, run_days=14, archive_dir=str(folder)),
    )
    assert not evaluation.passed  # gamma's file could not be judged
    lines = text(evaluation.metadata["accounts"]).splitlines()
    assert [line.split("|")[2].strip() for line in lines[2:]] == ["yes", "yes", "no"]
    assert "AccountMismatchError" in lines[-1] and "someone-else" in lines[-1]


# --------------------------------------------------------------------------------------------
# 4. Alerts
# --------------------------------------------------------------------------------------------


def require(database: str, account: str, zone: str, agents: float = 3) -> None:
    """Requirements of ``all`` around now on the account's own grid and local day."""
    current, _ = intervals_at(datetime.now(UTC), zone, 15)
    starts = [current.start + timedelta(minutes=15 * i) for i in range(-1, 4)]
    needed = pd.DataFrame(
        [
            {
                "day": local_date(start, zone),
                "scope_key": "all",
                "interval_start": start,
                "local_start": start.astimezone(ZoneInfo(zone)).replace(tzinfo=None),
                "required_agents": float(agents),
                "source": "target",
            }
            for start in starts
        ]
    )
    with connect(database, account=account) as con, registered(con, incoming=needed):
        con.execute("INSERT INTO staffing_requirements BY NAME SELECT * FROM incoming")


def poll(database: str, account: str, on_queue: int) -> None:
    statuses = {f"a{i}": "AVAILABLE" for i in range(on_queue)} | {"away": "AWAY"}
    with connect(database, account=account) as con:
        per_scope_tick(con, datetime.now(UTC), {"all": statuses})


def test_the_sensor_alerts_each_account_from_its_own_file_and_zone_naming_it(
    two: Accounts, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    hooks = {"json": WebhookReceiver(), "slack": WebhookReceiver()}
    for name, receiver in hooks.items():
        receiver.__enter__()
        two.monkeypatch.setenv(f"AVAILABILITY_ALERT_{name.upper()}_WEBHOOK_URL", receiver.url)
    for variable, value in {
        "AVAILABILITY_ALERT_SHORTFALL": "1",
        "AVAILABILITY_ALERT_MIN_POLLS": "2",
        "AVAILABILITY_ALERT_BACKOFF_SECONDS": "0",
        "AVAILABILITY_ALERT_TIMEOUT_SECONDS": "5",
        "AVAILABILITY_INTERVAL_MINUTES": "15",
    }.items():
        two.monkeypatch.setenv(variable, value)
    for variable in ("AVAILABILITY_ALERT_QUIET_HOURS", "AVAILABILITY_ALERT_RULES_FILE"):
        two.monkeypatch.delenv(variable, raising=False)
    two.write(broken=True)
    Path(two.db("gamma")).write_bytes(b"not a DuckDB file" * 100)  # gamma cannot be read
    for name in ("acme", "beta"):
        require(two.db(name), name, ZONES[name])
    cursor = None
    try:
        with DagsterInstance.ephemeral() as instance:
            for _ in range(2):  # two short polls: the minimum
                for name in ("acme", "beta"):
                    poll(two.db(name), name, on_queue=1)
                with build_sensor_context(
                    instance=instance,
                    cursor=cursor,
                    resources={"warehouse": two.resources()["warehouse"]},
                ) as context:
                    result = shortfall_alerts(context)
                cursor = result.cursor
    finally:
        for receiver in hooks.values():
            receiver.__exit__(None, None, None)

    bodies = {body["account"]: body for body in hooks["json"].received}
    assert sorted(bodies) == ["acme", "beta"]  # one alert each, gamma's failure stopped none
    for name, body in bodies.items():
        assert body["event"] == "alert" and body["time_zone"] == ZONES[name]
        assert body["on_queue"] == 1 and body["current_interval"]["required"] == 3
    texts = sorted(body["text"] for body in hooks["slack"].received)
    assert [t.split(" ")[:2] for t in texts] == [
        ["[acme]", "Short-staffed:"],
        ["[beta]", "Short-staffed:"],
    ]
    for name in ("acme", "beta"):  # each episode and its messages in its own file
        assert rows(two.db(name), "SELECT count(*) FROM alert_episodes") == [(1,)]
        sent = [json.loads(b) for (b,) in rows(two.db(name), "SELECT body FROM alert_messages")]
        named = {body.get("account") or body["text"].split("]")[0].strip("[") for body in sent}
        assert len(sent) == 2 and named == {name}
    kept = json.loads(cursor or "{}")["accounts"]
    assert sorted(kept) == ["acme", "beta", "gamma"] and kept["gamma"] is None
    assert kept["acme"] and kept["beta"]  # the streaks, each under its account
    said = (result.skip_reason.skip_message if result.skip_reason else "") + caplog.text
    assert "gamma: failed" in said
    for receiver in hooks.values():
        assert receiver.token not in said


# --------------------------------------------------------------------------------------------
# 5. Reports (account × day partitions exist only when the accounts file is set at import)
# --------------------------------------------------------------------------------------------

REPORT_PROBE = """
import sys
from dagster import DagsterInstance, MultiPartitionKey, materialize
from pipelines.defs.reports.assets import coverage_report
from pipelines.resources import CoverageResource, WarehouseResource
from pipelines.warehouse import connect

folder = sys.argv[1]
for name in ("acme", "beta"):
    with connect(f"{folder}/{name}.duckdb", account=name):
        pass  # an empty day of each account: the report says so
for name in ("acme", "beta"):
    result = materialize(
        [coverage_report],
        partition_key=MultiPartitionKey({"account": name, "day": "2026-11-24"}),
        resources={
            "warehouse": WarehouseResource(database=f"{folder}/warehouse.duckdb"),
            "coverage_config": CoverageResource(),
        },
        instance=DagsterInstance.ephemeral(),
    )
    [event] = result.get_asset_materialization_events()
    print(name, event.materialization.metadata["report_path"].value)
"""


@pytest.mark.subprocess
def test_each_accounts_report_is_in_its_own_folder_and_names_it(two: Accounts) -> None:
    reports = two.tmp_path / "reports"
    env = {**os.environ, "AVAILABILITY_REPORTS_DIR": str(reports)}
    env["AVAILABILITY_PARTITIONS_START"] = "2026-11-01"
    done = subprocess.run(
        [sys.executable, "-c", REPORT_PROBE, str(two.tmp_path)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    printed = dict(line.split(" ", 1) for line in done.stdout.strip().splitlines()[-2:])
    for name, other in (("acme", "beta"), ("beta", "acme")):
        page = reports / name / "2026-11-24" / "coverage.html"
        assert printed[name] == str(page)
        html = page.read_text(encoding="utf-8")
        assert f"Staffing coverage, account {name}" in html and f"account {other}" not in html
        assert ZONES[name] in html  # the account's own zone (its coverage resource, bound)
    assert not (reports / "2026-11-24").exists()  # the single-account layout is not used
    assert not (two.tmp_path / "warehouse.duckdb").exists()  # each read its own file
