"""Dagster definitions by stage, loaded automatically (``dg.load_defs``) by pipelines.definitions.

Each stage is a folder: ``ingest/`` (polls into DuckDB), ``coverage/`` (spans, grid,
requirements, coverage against them), ``reports/`` (the daily HTML and CSV), each with
``assets.py``, ``checks.py`` and ``schedules.py`` as it needs. ``resources.py`` binds the
resources to the settings; ``common.py`` holds what the stages share (the DuckDB pool, the daily
partitions, the translation of a check outcome into Dagster metadata). A new asset, check or
schedule in any module here is picked up without editing a list.
"""
