"""A tick's text budget: the smallest answers that fit are kept, the rest refused by name."""

from __future__ import annotations

from datetime import UTC, datetime

from pipelines.kore.availability import ScopeResult
from pipelines.packed import pack
from pipelines.polling.tick_text import within_text_budget

MIB = 1 << 20
AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def answer(key: str, mib: float, outcome: str = "ok") -> ScopeResult:
    body = '{"AVAILABLE":[' + " " * int(mib * MIB) + "]}"
    return ScopeResult(
        scope_key=key, requested_at=AT, answered_at=AT, observed_at=AT, attempts=1,
        http_status=200, latency_ms=1.0, outcome=outcome,
        error_kind=None if outcome == "ok" else "server",
        error_text=None if outcome == "ok" else "boom", packed_body=pack(body),
        counts={"AVAILABLE": 0} if outcome == "ok" else None,
    )  # fmt: skip


def test_the_largest_answers_past_the_budget_are_refused_and_the_rest_kept_in_order() -> None:
    results = [answer("a", 3), answer("b", 1), answer("c", 5), answer("d", 2), answer("e", 9, "x")]
    kept = within_text_budget(results, budget_mb=7)
    assert [r.scope_key for r in kept] == ["a", "b", "c", "d", "e"]  # order unchanged
    assert [r.ok for r in kept] == [True, True, False, True, False]  # 1 + 2 + 3 fit, 5 does not
    refused = kept[2]
    assert refused.error_kind == "invalid_response" and refused.http_status == 200
    assert refused.packed_body is None and refused.counts is None
    assert "c: answer of 5.0 MiB not kept" in refused.error_text
    assert "KORE_TICK_TEXT_BUDGET_MB=7" in refused.error_text
    assert kept[4] is results[4]  # a failure is left as it was


def test_the_smallest_answer_lands_whatever_its_size_and_a_roomy_budget_changes_nothing() -> None:
    assert [r.ok for r in within_text_budget([answer("a", 3), answer("b", 2)], 1)] == [
        False,
        True,
    ]
    results = [answer(k, 1) for k in "abc"]
    assert within_text_budget(results, 256) == results
