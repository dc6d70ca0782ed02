"""The README's `make demo`, run as the script behind it, end to end."""

import os
import subprocess
import sys
from pathlib import Path

from pipelines.resources import PROJECT_ROOT
from pipelines.warehouse import connect


def test_demo_runs_end_to_end(tmp_path: Path, tmp_db: str) -> None:
    env = {**os.environ, "AVAILABILITY_DB": tmp_db, "DAGSTER_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.demo", "--ticks", "2", "--pause", "0.5"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with connect(tmp_db, read_only=True) as con:
        ticks, rows = con.execute(
            "SELECT (SELECT count(*) FROM ticks), (SELECT count(*) FROM snapshots)"
        ).fetchall()[0]
    assert ticks == 2 and rows > 0
    assert f"2 ticks and {rows} snapshot rows" in done.stdout
    assert "Agents per status per scope" in done.stdout
    assert "skill:sk-billing" in done.stdout
