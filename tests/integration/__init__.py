"""Tests of real parts in one process: the simulator on 127.0.0.1, DuckDB files, Dagster."""
