"""The code location: validated by Dagster's CLI, materialized in process and through the CLI."""

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from dagster import DagsterInstance, materialize

from pipelines.defs.ingest.assets import availability_snapshots
from pipelines.defs.ingest.checks import (
    last_tick_is_fresh,
    last_tick_scopes_succeeded,
    snapshots_have_no_duplicates,
)
from pipelines.resources import KoreResource, ScopesResource, WarehouseResource
from pipelines.settings import DEFAULT_SCOPES, PROJECT_ROOT
from pipelines.simulator import SimulatorServer
from pipelines.warehouse import connect
from tests.support.kore import connection_settings

CHECKS = [snapshots_have_no_duplicates, last_tick_is_fresh, last_tick_scopes_succeeded]


def resources_for(server: SimulatorServer, database: str, **kore: object) -> dict[str, object]:
    env = server.env(include_secret=True)
    settings = {
        **connection_settings(env),
        **kore,
    }
    return {
        "kore": KoreResource(**settings),
        "scopes": ScopesResource(path=str(DEFAULT_SCOPES)),
        "warehouse": WarehouseResource(database=database),
    }


def cli_env(extra: dict[str, str], tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text((PROJECT_ROOT / "config" / "dagster.yaml").read_text())
    return {**os.environ, "DAGSTER_HOME": str(home), **extra}


@pytest.mark.slow
def test_definitions_validate_through_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed validation" in done.stdout + done.stderr


def test_snapshot_asset_materializes_in_process(simulator: SimulatorServer, tmp_db: str) -> None:
    result = materialize(
        [availability_snapshots, *CHECKS],
        resources=resources_for(simulator, tmp_db),
        instance=DagsterInstance.ephemeral(),
    )
    assert result.success
    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    with connect(tmp_db, read_only=True) as con:
        rows = con.execute("SELECT count(*) FROM snapshots").fetchall()[0][0]
        tick = con.execute("SELECT tick_id, scopes_ok FROM ticks").fetchall()
    assert metadata["rows_written"].value == rows > 0
    assert metadata["scopes_failed"].value == 0
    assert tick == [(metadata["tick_id"].value, 11)]
    assert "AVAILABLE" in metadata["agents_per_status"].value
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {c.check_key.name: True for c in CHECKS}


def test_every_scope_failing_fails_the_run_and_keeps_the_landing_rows(
    simulator: SimulatorServer, tmp_db: str
) -> None:
    secret = "definitely-the-wrong-client-secret-000"
    result = materialize(
        [availability_snapshots],
        resources=resources_for(simulator, tmp_db, client_secret=secret),
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = str(failure.event_specific_data.error)
    assert "KORE_CLIENT_SECRET" in message and secret not in message
    with connect(tmp_db, read_only=True) as con:
        landed = con.execute("SELECT DISTINCT outcome, error_kind FROM raw_responses").fetchall()
    assert landed == [("error", "auth")]


@pytest.mark.slow
def test_snapshot_asset_materializes_through_the_cli(
    simulator_factory: Callable[..., SimulatorServer], tmp_db: str, tmp_path: Path
) -> None:
    server = simulator_factory()
    env = cli_env({**server.env(include_secret=True), "AVAILABILITY_DB": tmp_db}, tmp_path)
    command = [
        sys.executable, "-m", "dagster", "asset", "materialize",
        "-m", "pipelines.definitions", "--select", "availability_snapshots",
    ]  # fmt: skip
    for _ in range(2):
        done = subprocess.run(
            command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert env["KORE_CLIENT_SECRET"] not in done.stdout + done.stderr
    with connect(tmp_db, read_only=True) as con:
        ticks = con.execute("SELECT count(*), sum(scopes_ok), min(mode) FROM ticks").fetchall()
        duplicates = con.execute(
            "SELECT count(*) FROM (SELECT tick_id, scope_key, agent_id FROM snapshots "
            "GROUP BY ALL HAVING count(*) > 1)"
        ).fetchall()[0][0]
        # The simulator's env names its org: membership acquisition, one answer a tick, and
        # the second tick counts every skill and queue of the first tick's listing.
        scopes = con.execute(
            "SELECT count(DISTINCT scope_key) FROM tick_scope_snapshots WHERE tick_id = "
            "(SELECT tick_id FROM ticks ORDER BY ended_at DESC LIMIT 1)"
        ).fetchall()[0][0]
    assert ticks == [(2, 2, "membership")]
    assert duplicates == 0
    assert scopes == 11


@pytest.mark.slow
@pytest.mark.parametrize("missing", ["KORE_HOST", "KORE_CLIENT_SECRET"])
def test_missing_connection_setting_is_named(missing: str, tmp_path: Path, tmp_db: str) -> None:
    env = cli_env({"AVAILABILITY_DB": tmp_db}, tmp_path)
    for name in ("KORE_HOST", "KORE_BOT_ID", "KORE_ACCOUNT_ID", "KORE_CLIENT_ID"):
        env[name] = "http://127.0.0.1:9" if name == "KORE_HOST" else "x"
    env["KORE_CLIENT_SECRET"] = "s" * 32
    env.pop(missing)
    done = subprocess.run(
        [sys.executable, "-m", "dagster", "asset", "materialize",
         "-m", "pipelines.definitions", "--select", "availability_snapshots"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode != 0
    assert missing in done.stdout + done.stderr


@pytest.mark.slow
def test_optional_kore_settings_reach_the_resource_and_bad_ones_are_named() -> None:
    probe = (
        "from pipelines.resources import kore_resource_from_env\n"
        "r = kore_resource_from_env()\n"
        "print(r.max_concurrency, r.jti_mode, r.tick_deadline_seconds, r.algorithm)\n"
    )
    env = {
        **os.environ,
        "KORE_MAX_CONCURRENCY": "7",
        "KORE_JTI_MODE": "true",
        "KORE_TICK_DEADLINE_SECONDS": "12.5",
    }
    env.pop("KORE_JWT_ALGORITHM", None)
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["7", "True", "12.5", "None"]  # None: KoreSettings' default
    env["KORE_MAX_CONCURRENCY"] = "lots"
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0 and "KORE_MAX_CONCURRENCY" in done.stderr
