"""The scopes file: what parses, and errors that name the file, the line and the key."""

from pathlib import Path

import pytest

from pipelines.scopes import Scope, ScopesFileError, load_scopes, parse_scopes
from pipelines.settings import DEFAULT_SCOPES


def test_shipped_scopes_file_parses_with_stable_keys() -> None:
    scopes = load_scopes(DEFAULT_SCOPES)
    keys = [s.key for s in scopes]
    assert keys[0] == "all"
    assert "skill:sk-billing" in keys and "queue:qu-support" in keys
    assert len(keys) == len(set(keys))


def test_keys_name_kind_and_id() -> None:
    assert Scope("all", "", "All").key == "all"
    assert Scope("skill", "sk-1", "S").key == "skill:sk-1"
    assert Scope("agents", "team-a", "Team A", ("a-1", "a-2")).key == "agents:team-a"


GOOD = """
[[scope]]
kind = "all"

[[scope]]
kind = "agents"
id = "team-a"
name = "Team A"
agent_ids = ["a-1"]
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[scope]]\nkind = 'skil'\nid='x'\n", "line 1, scope[0]: key 'kind'"),
        (GOOD + "\n[[scope]]\nkind = 'skill'\n", "line 11, scope[2]: key 'id' is required"),
        (GOOD + "\n[[scope]]\nkind = 'queue'\nid = 'q'\ncolour = 1\n", "unknown key(s) ['colour']"),
        (GOOD + "\n[[scope]]\nkind = 'all'\n", "scope 'all' is listed twice"),
        ("[[scope]]\nkind = 'agents'\nid = 't'\nagent_ids = []\n", "key 'agent_ids' must be"),
        ("[[scope]]\nkind = 'skill'\nid = 's'\nagent_ids = ['a']\n", "only allowed for kind"),
        ("[[scope]\nkind = 'all'\n", "not valid TOML"),
        ("title = 'x'\n", "no [[scope]] tables"),
    ],
)
def test_malformed_scopes_name_file_line_and_key(text: str, expected: str) -> None:
    with pytest.raises(ScopesFileError) as raised:
        parse_scopes(text, source="scopes.toml")
    message = str(raised.value)
    assert message.startswith("scopes.toml")
    assert expected in message


def test_missing_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ScopesFileError, match="AVAILABILITY_SCOPES"):
        load_scopes(tmp_path / "nope.toml")
