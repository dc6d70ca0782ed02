"""The code location: everything under pipelines/defs, loaded by folder, run in process.

Load it with ``dagster dev -w workspace.yaml`` (or ``dg dev``). Runs execute in process: an
asset and its checks must not fight over DuckDB's single-writer file lock from separate
processes, and the assets that write DuckDB share the ``duckdb_writer`` pool, limited to one
slot in config/dagster.yaml.
"""

import dagster as dg

import pipelines.defs

defs = dg.Definitions.merge(
    dg.load_defs(pipelines.defs),
    dg.Definitions(executor=dg.in_process_executor),
)
