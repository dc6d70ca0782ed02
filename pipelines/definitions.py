"""The code location: everything under pipelines/defs, loaded by folder, run in process.

Load it with ``dagster dev -w workspace.yaml`` (or ``dg dev``). Runs execute in process: an
asset and its checks must not fight over DuckDB's single-writer file lock from separate
processes, and the assets that write DuckDB share the ``duckdb_writer`` pool, limited to one
slot in config/dagster.yaml.
"""

import warnings
from pathlib import Path

import dagster as dg

import pipelines.defs

# The folder that holds the package: the checkout, or site-packages for an installed wheel,
# which has no pyproject.toml for Dagster to find on its own.
PACKAGE_ROOT = Path(pipelines.defs.__file__).resolve().parents[2]


def _load_defs_folder() -> dg.Definitions:
    """Everything under pipelines/defs. ``dg.load_defs`` warns that it is deprecated for
    ``dg.load_from_defs_folder``, but that one needs the project's pyproject.toml (or dg.toml)
    to find the defs module, and an installed wheel has neither. (A function, not a
    module-level name: Dagster refuses a module holding two Definitions objects.)"""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*load_defs.*", category=DeprecationWarning)
        return dg.load_defs(pipelines.defs, project_root=PACKAGE_ROOT)


defs = dg.Definitions.merge(_load_defs_folder(), dg.Definitions(executor=dg.in_process_executor))
