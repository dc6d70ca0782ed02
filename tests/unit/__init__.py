"""Tests of one function or module: no server, no Dagster run, no child process."""
