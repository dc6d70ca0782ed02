"""The code location: everything under pipelines/defs, loaded by folder, run in process.

Load it with ``dagster dev -w workspace.yaml`` (or ``dg dev``). Runs execute in process: an
asset and its checks must not fight over DuckDB's single-writer file lock from separate
processes, and the assets that write DuckDB share the ``duckdb_writer`` pool, limited to one
slot in config/dagster.yaml.
"""

from pathlib import Path

import dagster as dg

import pipelines.defs

# The folder that holds the package: the checkout, or site-packages for an installed wheel,
# which has no pyproject.toml for Dagster to find on its own.
PACKAGE_ROOT = Path(pipelines.defs.__file__).resolve().parents[2]

defs = dg.Definitions.merge(
    dg.load_defs(pipelines.defs, project_root=PACKAGE_ROOT),
    dg.Definitions(executor=dg.in_process_executor),
)
