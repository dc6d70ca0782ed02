"""The test suite, by how much of the system a test starts.

``unit/``: one function or module, no server, no Dagster run, no child process.
``integration/``: real parts in this process: the simulator on 127.0.0.1, DuckDB files,
Dagster runs in process. ``e2e/``: child processes, as people and schedulers run things (CLIs,
``dagster dev``, the demo, notebook kernels, a browser, SIGKILLed writers, the soak).
Fixtures shared by all are in ``conftest.py``; helpers and data files in ``support/``.
"""
