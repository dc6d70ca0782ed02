"""Agents for one cell of demand: Erlang A when patience is known, Erlang C otherwise.

One function per question, on plain numbers, so each rule is tested on its own and the
requirement build only loops over rows. Inputs are per cell: contacts offered, the cell's
length, the agent-seconds one contact takes (AHT / concurrency) and the mean patience.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pipelines.coverage import erlang, erlang_a

__all__ = ["Sizing", "achieved_service_level", "size_cell"]

SOURCE_SUFFIX_A = "erlang_a"
SOURCE_SUFFIX_C = "erlang_c"


@dataclass(frozen=True)
class Sizing:
    """Both models' head-counts and the one that counts (``required_agents``, ``model``)."""

    required_erlang_a: int | None
    required_erlang_c: int | None
    required_agents: float | None
    model: str | None  # 'erlang_a' | 'erlang_c' | None (cannot be sized)
    service_level_expected: float | None


def _usable(value: float | None) -> bool:
    return value is not None and math.isfinite(value) and value > 0


def _service_level(
    servers: int, rate: float, aht: float, patience: float | None, target: float
) -> float:
    """The model's share of offered contacts answered within ``target`` at ``servers``.

    No agent answers nobody: 0 without asking the models (which may refuse 0 servers).
    """
    if servers == 0:
        return 0.0
    if _usable(patience):
        return erlang_a.erlang_a(servers, rate, aht, patience, target).service_level
    traffic = rate * aht / 3600.0
    return erlang.service_level(servers, traffic, aht, target)


def size_cell(
    offered: float,
    cell_seconds: float,
    effective_aht_seconds: float | None,
    patience_seconds: float | None,
    service_level: float,
    target_seconds: float,
    max_occupancy: float | None = None,
) -> Sizing:
    """Agents on queue one cell needs.

    No contacts need no agents (both models 0, no service level to expect). Without a usable
    handle time the cell cannot be sized (all None). Erlang C always; Erlang A when the patience
    is known (abandons were seen), and then it is the requirement: Erlang C assumes nobody hangs
    up, so it overstates the need of a queue whose callers do. A search the models refuse
    (inputs outside their documented ranges) leaves that model's figure None.
    """
    if offered <= 0:
        model = SOURCE_SUFFIX_A if _usable(patience_seconds) else SOURCE_SUFFIX_C
        return Sizing(0 if model == SOURCE_SUFFIX_A else None, 0, 0.0, model, None)
    if not _usable(effective_aht_seconds):
        return Sizing(None, None, None, None, None)
    rate = offered * 3600.0 / cell_seconds
    try:
        agents_c: int | None = erlang.required_agents(
            offered,
            effective_aht_seconds,
            cell_seconds,
            service_level,
            target_seconds,
            max_occupancy=max_occupancy,
        )
    except ValueError:
        agents_c = None
    agents_a: int | None = None
    if _usable(patience_seconds):
        try:
            agents_a = erlang_a.required_agents_a(
                rate,
                effective_aht_seconds,
                patience_seconds,
                service_level,
                target_seconds,
                max_occupancy=max_occupancy,
            )
        except ValueError:
            agents_a = None
    if agents_a is not None:
        model, agents = SOURCE_SUFFIX_A, agents_a
        expected = _service_level(
            agents, rate, effective_aht_seconds, patience_seconds, target_seconds
        )
    elif agents_c is not None:
        model, agents = SOURCE_SUFFIX_C, agents_c
        expected = _service_level(agents, rate, effective_aht_seconds, None, target_seconds)
    else:
        return Sizing(None, None, None, None, None)
    return Sizing(agents_a, agents_c, float(agents), model, expected)


def achieved_service_level(
    on_queue: float | None,
    offered: float,
    cell_seconds: float,
    effective_aht_seconds: float | None,
    patience_seconds: float | None,
    target_seconds: float,
) -> float | None:
    """The model's service level with the agents actually on queue (a time-weighted average,
    so usually fractional: the figure is interpolated linearly between the whole head-counts
    around it). Erlang A when the patience is known, else Erlang C. None without contacts,
    without a handle time or without an observed head-count."""
    if on_queue is None or not math.isfinite(on_queue) or offered <= 0:
        return None
    if not _usable(effective_aht_seconds):
        return None
    rate = offered * 3600.0 / cell_seconds
    low = math.floor(on_queue)
    share = on_queue - low
    try:
        level = _service_level(low, rate, effective_aht_seconds, patience_seconds, target_seconds)
        if share > 0:
            high = _service_level(
                low + 1, rate, effective_aht_seconds, patience_seconds, target_seconds
            )
            level = level * (1 - share) + high * share
    except ValueError:
        return None
    return level
