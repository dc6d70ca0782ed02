"""One scope's hostile answer, landed: what raw_responses keeps for it, and that the other
scopes of the tick land beside it, over a loopback server."""

from __future__ import annotations

import gzip
import json
import zlib
from functools import partial

import pytest

from pipelines.kore.availability import MAX_STATUS_BUCKETS
from pipelines.polling import run_tick
from pipelines.scopes import Scope
from pipelines.warehouse import PiiPolicy, connect
from tests.support.hostile import good_body, hostile_settings, serving

JSON = {"Content-Type": "application/json"}


def _land(host: str, database: str, skills: list[str]) -> dict[str, tuple]:
    scopes = [Scope("skill", s, s) for s in skills]
    run_tick(partial(connect, database), hostile_settings(host), scopes, "t-1", pii=PiiPolicy())
    with connect(database, read_only=True) as con:
        rows = con.execute(
            "SELECT scope_key, outcome, http_status, error_text FROM raw_responses"
        ).fetchall()
    return {key.removeprefix("skill:"): tuple(rest) for key, *rest in rows}


def test_an_unreadable_200_keeps_its_status(tmp_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pipelines.kore.transport.MAX_BODY_BYTES", 1 << 20)
    big = json.dumps({"AVAILABLE": [{"_id": f"a{i}"} for i in range(100_000)]}).encode()
    answers = {
        "sk-big": (200, JSON, big),
        "sk-big-chunked": (200, {**JSON, "Transfer-Encoding": "chunked"}, big),
        "sk-bad-gzip": (200, {"Content-Encoding": "gzip"}, b"not gzip at all"),
        "sk-charset": (200, {"Content-Type": "application/json; charset=nope"}, b"{}"),
    }
    # Found by `make fuzz`: an error answer nested deeper than the JSON parser goes.
    deep = b"[" * 100_000 + b"]" * 100_000
    errors = {"sk-301-deep": (301, JSON, deep), "sk-500-deep": (500, JSON, deep)}
    with serving({**answers, **errors}) as host:
        rows = _land(host, tmp_db, ["sk-ok", *answers, *errors])
    assert rows["sk-ok"][:2] == ("ok", 200)
    assert rows["sk-301-deep"][:2] == ("error", 301)
    assert rows["sk-500-deep"][:2] == ("error", 500)
    for skill in answers:
        outcome, status, text = rows[skill]
        assert (outcome, status) == ("error", 200), (skill, text)


def test_memory_error_while_decoding_or_parsing_ends_that_scope(
    tmp_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.kore import availability, decoding

    real_load, real_decoder = availability.load_json_body, decoding._decoder

    def load(text: str, *args: object, **kwargs: object) -> object:
        if "a-oom" in text:
            raise MemoryError()
        return real_load(text, *args, **kwargs)

    def decoder(name: str) -> object:
        if name == "deflate":
            raise MemoryError()
        return real_decoder(name)

    monkeypatch.setattr(availability, "load_json_body", load)
    monkeypatch.setattr(decoding, "_decoder", decoder)
    answers = {
        "sk-oom-parse": (200, JSON, good_body("a-oom")),
        "sk-oom-decode": (200, {"Content-Encoding": "deflate"}, zlib.compress(good_body())),
        "sk-gzip": (200, {"Content-Encoding": "gzip"}, gzip.compress(good_body("a-gz"))),
    }
    with serving(answers) as host:
        rows = _land(host, tmp_db, ["sk-ok", *answers])
    assert rows["sk-ok"][0] == "ok" and rows["sk-gzip"][0] == "ok"
    for skill in ("sk-oom-parse", "sk-oom-decode"):
        outcome, status, text = rows[skill]
        assert outcome == "error" and "MemoryError" in text, (skill, text)
        assert status == 200


def test_too_many_distinct_buckets_end_that_scope_only(tmp_db: str) -> None:
    def body(keys: int, per_key: int = 1) -> bytes:
        buckets = {f"S{k}": [{"_id": f"a{k}-{i}"} for i in range(per_key)] for k in range(keys)}
        return json.dumps(buckets).encode()

    repeated = (
        b'{"AVAILABLE": [{"_id": "r0"}]'
        + b"".join(b', "AVAILABLE": [{"_id": "r%d"}]' % i for i in range(1, 20_000))
        + b"}"
    )
    answers = {
        "sk-keys": (200, JSON, body(MAX_STATUS_BUCKETS + 1)),
        "sk-100k-keys": (200, JSON, body(100_000)),
        "sk-at-limit": (200, JSON, body(MAX_STATUS_BUCKETS, 2)),
        "sk-repeated": (200, JSON, repeated),  # one key 20,000 times: merged in linear time
    }
    with serving(answers) as host:
        rows = _land(host, tmp_db, ["sk-ok-1", *answers, "sk-ok-2"])
        with connect(tmp_db, read_only=True) as con:
            counts = dict(
                con.execute("SELECT scope_key, count(*) FROM snapshots GROUP BY ALL").fetchall()
            )
    for skill in ("sk-keys", "sk-100k-keys"):
        outcome, status, text = rows[skill]
        assert outcome == "error" and "MAX_STATUS_BUCKETS" in text, text
    assert counts == {
        "skill:sk-ok-1": 1,
        "skill:sk-ok-2": 1,
        "skill:sk-at-limit": 2 * MAX_STATUS_BUCKETS,
        "skill:sk-repeated": 20_000,
    }
