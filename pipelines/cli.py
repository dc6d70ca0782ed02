"""The ``availability`` command: the simulator and the project's maintenance tasks."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="availability",
        description="Kore.ai agent-availability pipeline tools.",
    )
    parser.add_argument(
        "command",
        choices=["simulate", "seed-history", "demo"],
        help=(
            "simulate: run the Kore-compatible simulator; seed-history: write synthetic "
            "snapshot history into DuckDB; demo: the end-to-end demo"
        ),
    )
    args, rest = parser.parse_known_args(argv[:1])
    rest = argv[1:]
    if args.command == "simulate":
        from pipelines import simulator

        return simulator.main(rest)
    if args.command == "seed-history":
        from pipelines.simulator import history_cli

        return history_cli.main(rest)
    from pipelines import demo

    return demo.main(rest)


if __name__ == "__main__":
    raise SystemExit(main())
