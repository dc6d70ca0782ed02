"""A tick's answers kept within a text budget, so the memory of its write has a bound that
does not grow with the number of scopes.

Landing an answer costs DuckDB about 20 times its text while it parses it, and about 2.5 times
the text of every answer already landed in the tick (:mod:`pipelines.warehouse.ticks` states
and measures the bound). Ordinary answers are small (about 700 bytes an agent), so a tick of
every scope stays far below ``KORE_TICK_TEXT_BUDGET_MB`` (256 MiB); a tick whose answers pass
it keeps the smallest answers that fit and refuses the rest, largest first: a few hostile or
runaway scopes cost themselves, never the healthy ones. A refused scope ends as a failed
request (``invalid_response``) whose error names the budget, with its HTTP status kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from pipelines.kore.availability import ScopeResult
from pipelines.packed import unpacked_size

__all__ = ["within_text_budget"]


def within_text_budget(results: Sequence[ScopeResult], budget_mb: int) -> list[ScopeResult]:
    """``results`` in their order, those past the tick's text budget turned into failures.

    The answered scopes are taken smallest first; an answer lands while the texts kept so far
    and its own fit ``budget_mb`` MiB (the smallest always lands, whatever its size).
    """
    budget = budget_mb << 20
    sizes = {i: unpacked_size(r.packed_body) for i, r in enumerate(results) if r.ok}
    kept, refused = 0, {}
    for i in sorted(sizes, key=lambda i: (sizes[i], i)):
        if kept and kept + sizes[i] > budget:
            refused[i] = kept
        else:
            kept += sizes[i]
    return [
        _refuse(r, sizes[i], refused[i], budget_mb) if i in refused else r
        for i, r in enumerate(results)
    ]


def _refuse(result: ScopeResult, size: int, kept: int, budget_mb: int) -> ScopeResult:
    mib = 1 << 20
    return replace(
        result,
        outcome="error",
        error_kind="invalid_response",
        error_text=(
            f"{result.scope_key}: answer of {size / mib:.1f} MiB not kept: with the "
            f"{kept / mib:.1f} MiB of smaller answers kept this tick it would pass "
            f"KORE_TICK_TEXT_BUDGET_MB={budget_mb} (the bound on a tick's memory)"
        ),
        packed_body=None,
        counts=None,
    )
