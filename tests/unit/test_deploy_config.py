"""deploy/ stays one configuration: Dagster accepts the instance file, and the workspace, the
Helm values and the Dockerfile say the same as it and as the code.

The deployment test (tests/e2e/test_deployment.py) runs deploy/dagster.yaml for real, but only
where PostgreSQL is installed and in minutes; this catches a typo or a drifted value in a
second, everywhere. The Helm values and the Dockerfile are not run here at all.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from dagster._core.instance.config import dagster_instance_config

from pipelines.defs.common import DUCKDB_POOL
from pipelines.settings import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
PG_ENV = {
    "DAGSTER_PG_HOST": "db.invalid",
    "DAGSTER_PG_PORT": "5432",
    "DAGSTER_PG_DB": "dagster",
    "DAGSTER_PG_USERNAME": "dagster",
    "DAGSTER_PG_PASSWORD": "not-a-real-password",
}


def load(path: Path) -> dict[str, Any]:
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")))


def code_location() -> str:
    with (PROJECT_ROOT / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["tool"]["dg"]["project"]["code_location_name"])


def test_dagster_accepts_the_instance_file(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in PG_ENV.items():
        monkeypatch.setenv(name, value)
    config, _ = dagster_instance_config(str(DEPLOY))
    db = config["storage"]["postgres"]["postgres_db"]
    # Every connection field comes from the environment; none is written in the file.
    assert {k: v for k, v in db.items() if k != "scheme"} == {
        "hostname": {"env": "DAGSTER_PG_HOST"},
        "port": {"env": "DAGSTER_PG_PORT"},
        "db_name": {"env": "DAGSTER_PG_DB"},
        "username": {"env": "DAGSTER_PG_USERNAME"},
        "password": {"env": "DAGSTER_PG_PASSWORD"},
    }
    assert db["scheme"] == "postgresql+psycopg2"
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    # One slot for the DuckDB writers' pool, the only pool the code uses.
    assert config["concurrency"]["pools"]["default_limit"] == 1
    assert DUCKDB_POOL == "duckdb_writer"


def test_workspace_loads_the_projects_location_from_a_code_server() -> None:
    (entry,) = load(DEPLOY / "workspace.yaml")["load_from"]
    server = entry["grpc_server"]
    assert server["location_name"] == code_location()
    assert server["host"] == {"env": "DAGSTER_CODE_SERVER_HOST"}
    assert server["port"] == {"env": "DAGSTER_CODE_SERVER_PORT"}


def test_helm_values_say_what_the_instance_file_says() -> None:
    instance, values = load(DEPLOY / "dagster.yaml"), load(DEPLOY / "helm" / "values.yaml")
    pools, runs = instance["concurrency"]["pools"], instance["concurrency"]["runs"]
    helm = values["concurrency"]
    assert helm["enabled"] is True
    assert helm["pools"] == {"defaultLimit": pools["default_limit"], "granularity": "op"}
    assert pools["granularity"] == "op"
    assert helm["runs"]["maxConcurrentRuns"] == runs["max_concurrent_runs"]
    assert helm["runs"]["tagConcurrencyLimits"] == runs["tag_concurrency_limits"]
    scheme = instance["storage"]["postgres"]["postgres_db"]["scheme"]
    assert values["postgresql"]["postgresqlScheme"] == scheme
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    args = deployment["codeServerArgs"]
    assert args[args.index("--module-name") + 1] == "pipelines.definitions"
    assert args[args.index("--location-name") + 1] == code_location()
    launcher = values["runLauncher"]["config"]["customRunLauncher"]
    assert launcher["class"] == "DefaultRunLauncher"  # runs beside the DuckDB volume
    assert {"name": "kore-credentials"} in deployment["envSecrets"]


def test_dockerfile_runs_as_a_user_with_the_instance_file() -> None:
    lines = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if line.startswith("FROM ")][-1] == "FROM python:3.11-slim"
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert "COPY deploy/dagster.yaml ${DAGSTER_HOME}/dagster.yaml" in lines
