"""``python -m pipelines.simulator``: the same as ``availability simulate``."""

from pipelines.simulator.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
