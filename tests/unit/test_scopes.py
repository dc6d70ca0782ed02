"""The scopes file: what parses, and errors that name the file, the line and the key."""

from pathlib import Path

import pytest

from pipelines.scopes import (
    Scope,
    ScopesFileError,
    load_config,
    load_scopes,
    parse_config,
    parse_scopes,
)
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
        ("title = 'x'\n", "unknown top-level key(s) ['title']"),
        ("[discovery]\ninclude = ['skill:*']\n", "no [[scope]] tables"),
        ("[discovery]\ninclude = 'skill:*'\n", "[discovery] include must be a list"),
        ("[discovery]\nonly = []\n", "[discovery] takes only"),
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


def test_membership_mode_resolves_discovered_scopes_through_the_file() -> None:
    config = parse_config(
        """
[discovery]
include = ["skill:*", "queue:qu-b*"]
exclude = ["skill:sk-test*"]

[[scope]]
kind = "skill"
id = "sk-billing"
name = "Billing (renamed)"

[[scope]]
kind = "agents"
id = "team-a"
agent_ids = ["a-1", "a-2"]
""",
        source="scopes.toml",
    )
    discovered = [
        Scope("skill", "sk-billing", "Billing"),
        Scope("skill", "sk-test-1", "Test"),
        Scope("queue", "qu-billing", "Billing queue"),
        Scope("queue", "qu-sales", "Sales queue"),
    ]
    resolved = {s.key: s.name for s in config.resolve(discovered)}
    assert resolved == {
        "all": "All agents",
        "skill:sk-billing": "Billing (renamed)",
        "queue:qu-billing": "Billing queue",
        "agents:team-a": "team-a",
    }


def test_the_scopes_file_is_optional_in_membership_mode(tmp_path: Path) -> None:
    config = load_config(tmp_path / "absent.toml")
    assert [s.key for s in config.resolve([Scope("queue", "qu-1", "Q")])] == ["all", "queue:qu-1"]


def test_ids_are_trimmed_so_spaces_cannot_make_two_scopes() -> None:
    with pytest.raises(ScopesFileError, match="listed twice"):
        parse_scopes(
            '[[scope]]\nkind = "skill"\nid = "sk-1"\n[[scope]]\nkind = "skill"\nid = " sk-1 "\n'
        )


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "scopes.toml"
    path.write_bytes(b'[[scope]]\nkind = "all"\nname = "\xff"\n')
    with pytest.raises(ScopesFileError, match="not UTF-8"):
        load_scopes(path)
