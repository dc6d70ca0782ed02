"""Text from the API in Dagster Markdown and in the log: status keys
and error texts with ``|``, line breaks, ``#`` and links are escaped by the one renderer, and
an e-mail address in a server's error message reaches neither the log, the metadata nor the
warehouse. Served by a loopback server; the tick's metadata is the ingest asset's own."""

from __future__ import annotations

import json
import logging
import re
from functools import partial

import pytest
from dagster import MarkdownMetadataValue

from pipelines.defs.ingest.metadata import tick_metadata
from pipelines.polling import run_tick
from pipelines.scopes import Scope
from pipelines.warehouse import PiiPolicy, connect
from tests.support.hostile import hostile_settings, serving

VICTIM = "victim@example.com"
HOSTILE = "A|B\n# Heading [x](https://evil.example) *bold* <b>"
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def _assert_inert(markdown: str) -> None:
    """Every line a table row with the header's cell count; no heading, link or HTML."""
    lines = markdown.splitlines()
    assert lines and all(line.startswith("| ") or line.startswith("|-") or line.startswith("|:")
                         or line.startswith("|-") for line in lines), markdown  # fmt: skip
    cells = {len(_UNESCAPED_PIPE.findall(line)) for line in lines}
    assert len(cells) == 1, markdown
    assert not re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", markdown)
    assert not re.search(r"(?<!\\)<[a-z]", markdown)


def test_api_text_is_escaped_in_metadata_and_contacts_scrubbed(
    tmp_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    answers = {
        "sk-status": (
            200,
            {"Content-Type": "application/json"},
            json.dumps({"AVAILABLE": [{"_id": "a-1"}], HOSTILE: [{"_id": "a-2"}]}).encode(),
        ),
        "sk-500": (
            500,
            {"Content-Type": "application/json"},
            json.dumps({"errors": [{"msg": f"{HOSTILE} no agent {VICTIM}", "code": 1}]}).encode(),
        ),
        "sk-400": (
            400,
            {"Content-Type": "text/plain"},
            f'bad request {{"emailId": "{VICTIM}", "phoneNumber": "+1 555 0100"}}'.encode(),
        ),
    }
    scopes = [Scope("skill", s, s) for s in ("sk-ok", *answers)]
    caplog.set_level(logging.DEBUG)
    with serving(answers) as host:
        outcome = run_tick(
            partial(connect, tmp_db), hostile_settings(host), scopes, "t-1", pii=PiiPolicy("keep")
        )
    assert [r.ok for r in outcome.results] == [True, True, False, False]
    metadata = tick_metadata(outcome)
    markdown = {k: v.md_str for k, v in metadata.items() if isinstance(v, MarkdownMetadataValue)}
    assert set(markdown) == {"failed_scopes", "agents_per_status"}
    for text in markdown.values():
        _assert_inert(text)
    assert "A\\|B \\# Heading" in markdown["agents_per_status"]  # the key, escaped, on one line
    assert "\\# Heading" in markdown["failed_scopes"]
    with connect(tmp_db, read_only=True) as con:
        stored = con.execute("SELECT error_text FROM raw_responses").fetchall()
    everything = [str(metadata), caplog.text, str(stored), *(r.error_text for r in outcome.failed)]
    for text in everything:
        assert VICTIM not in text and "555 0100" not in text
