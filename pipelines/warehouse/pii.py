"""What is stored of agents' personal data (e-mail, phone): kept, hashed with a key, or dropped.

Applied on the single write path (:func:`pipelines.warehouse.ticks.write_tick`) before anything
is stored, so the raw landing table never keeps what the normalized tables drop. One field
pattern (``PII_FIELD``) decides which keys are contact data, everywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import duckdb
import numpy as np

from pipelines import settings
from pipelines.contacts import EMAIL_IN_TEXT, FIELD_NAMES
from pipelines.net import is_loopback_host
from pipelines.settings import SettingsError

__all__ = ["HASH_PREFIX", "PII_FIELD", "PII_MODES", "PiiConfigError", "PiiPolicy"]

PII_MODES = ("keep", "hash", "drop")
# Agent fields holding contact data: Kore's emailId and phoneNumber, and the obvious variants a
# later API revision might use. Names are kept on purpose (analysts need them). This one
# alternation builds every pattern below.
_FIELD_NAMES = FIELD_NAMES
PII_FIELD = re.compile(rf"^(?:{_FIELD_NAMES})$", re.I)
_PII_HINT = re.compile(rf'"(?:{_FIELD_NAMES})"', re.I)
# The same fields inside a body that is not valid JSON (a truncated answer kept for inspection).
_PII_IN_TEXT = re.compile(
    rf'("(?:{_FIELD_NAMES})"\s*:\s*)'
    r'("(?:[^"\\]|\\.)*"|"(?:[^"\\]|\\.)*$|-?\d[\d.eE+-]*)',
    re.I,
)
_EMAIL_IN_TEXT = EMAIL_IN_TEXT
HASH_PREFIX = "pii:"

# Fast path for hash mode (see PiiPolicy._hash_fast): contact keys in the ASCII-lowercased body,
# each with its value when that value is one whose stored form is known without parsing (a
# string without escapes, null, or an integer written as json.dumps writes it).
_PII_KEY_AND_VALUE = re.compile(
    rb'"(?:' + _FIELD_NAMES.encode() + rb')"\s*:\s*'
    rb'(?:("[^"\\]*"|null|0|-?[1-9][0-9]*)(?=\s*[,}]))?'
)
# Everything but quotes, brackets, commas and the two key markers.
_NOT_STRUCTURE = bytes(range(256)).translate(None, b'"{}[],\x00\x01')
_CONTROL_MARKS = (b"\x00", b"\x01", b"\x02", b"\x03", b"\\")


# Keyed hashes already computed, per key: value bytes -> the quoted stored form.
_HASH_CACHES: dict[bytes, dict[bytes, bytes]] = {}


class PiiConfigError(ValueError):
    """The PII settings are invalid; the message names AVAILABILITY_PII or _PII_KEY."""


@dataclass(frozen=True)
class PiiPolicy:
    """What happens to agents' e-mail and phone before they are stored.

    ``keep`` stores them as received; ``hash`` (the default) replaces each with a keyed,
    stable HMAC-SHA256 (``pii:<32 hex>``), so the same address hashes the same way in every
    tick and joins still work; ``drop`` removes the fields. The key comes from
    AVAILABILITY_PII_KEY; without it the database's own random key (table ``pii_keys``,
    created on first use) is used, which :func:`run_tick` allows only against a loopback host
    (the simulator, the demo). The key is never part of ``repr`` or any message.
    """

    mode: str = "hash"
    key: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in PII_MODES:
            raise PiiConfigError(
                f"AVAILABILITY_PII must be one of {', '.join(PII_MODES)}, got {self.mode!r}"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, mode: str | None = None) -> PiiPolicy:
        """AVAILABILITY_PII (default hash) and AVAILABILITY_PII_KEY (read by pipelines.settings)."""
        try:
            chosen = mode.strip().lower() if mode else settings.get("AVAILABILITY_PII", env)
            key = settings.get("AVAILABILITY_PII_KEY", env)
        except SettingsError as exc:
            raise PiiConfigError(str(exc)) from None
        if key and len(key) < 16:
            raise PiiConfigError(
                "AVAILABILITY_PII_KEY must be at least 16 characters (a random secret)"
            )
        return cls(mode=chosen, key=key.encode("utf-8") if key else None)

    def require_key_for(self, host: str) -> None:
        """Hashing for a real tenant needs a key kept outside the database.

        A key stored next to the hashes protects against casual reading only (phone numbers
        are few enough to try them all), which is fine for the simulator but not for Kore.ai.
        """
        if self.mode != "hash" or self.key is not None:
            return
        if not is_loopback_host(urlsplit(host.strip()).hostname or ""):
            raise PiiConfigError(
                "AVAILABILITY_PII=hash (the default) needs AVAILABILITY_PII_KEY, a random secret "
                "of 16+ characters kept outside the database, when polling a real Kore.ai host; "
                "or set AVAILABILITY_PII=drop (or keep)"
            )

    def with_database_key(self, con: duckdb.DuckDBPyConnection) -> PiiPolicy:
        """This policy with a key: its own, or the database's (created on first use)."""
        if self.mode != "hash" or self.key is not None:
            return self
        con.execute(
            "INSERT INTO pii_keys VALUES (1, ?, ?) ON CONFLICT DO NOTHING",
            [secrets.token_hex(32), datetime.now(UTC)],
        )
        key_hex = con.execute("SELECT key_hex FROM pii_keys WHERE id = 1").fetchall()[0][0]
        return PiiPolicy(mode="hash", key=bytes.fromhex(key_hex))

    def protect_value(self, value: Any) -> Any:
        """One field's stored form: as is, its keyed hash, or None (drop)."""
        if self.mode == "keep" or value is None:
            return value
        if self.mode == "drop":
            return None
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        if not text:
            return text  # "" carries nothing personal, and Kore sends it for unknown e-mail
        if self.key is None:
            raise PiiConfigError("AVAILABILITY_PII=hash needs a key (AVAILABILITY_PII_KEY)")
        digest = hmac.new(self.key, text.encode("utf-8"), hashlib.sha256).hexdigest()
        return HASH_PREFIX + digest[:32]

    def protect_agent(self, agent: dict[str, Any]) -> bool:
        """Apply the policy to one agent object in place; True if anything changed."""
        changed = False
        for name in [k for k in agent if PII_FIELD.match(k)]:
            if self.mode == "drop":
                del agent[name]
                changed = True
            else:
                protected = self.protect_value(agent[name])
                changed = changed or protected != agent[name]
                agent[name] = protected
        return changed

    def protect_body(self, body: str | None, ok: bool) -> str | None:
        """A landing body as it may be stored.

        A successful body is an object of buckets of agent objects: the fields are rewritten
        there. In hash mode a body the text itself proves simple enough (see
        :meth:`_hash_fast`; every normal server answer) has just the values replaced in place,
        the rest kept byte for byte; any other is parsed and re-serialized (only if something
        changed). Both give the same JSON value. Any other body (an error page, a truncated
        answer) is rewritten by pattern, a truncated trailing value included.
        """
        if body is None or self.mode == "keep":
            return body
        if ok:
            if self.mode == "hash":
                fast = self._hash_fast(body)
                if fast is not None:
                    return fast
            # A backslash can spell a key in escapes ("\u0065mailId"): then only the parse
            # tells, so the cheap text check may only skip bodies without one.
            if "\\" not in body and not _PII_HINT.search(body):
                return body
            try:
                data = json.loads(body)
            except (ValueError, RecursionError):
                data = None
            if isinstance(data, dict):
                changed = False
                for agents in data.values():
                    if isinstance(agents, list):
                        for agent in agents:
                            if isinstance(agent, dict):
                                changed = self.protect_agent(agent) or changed
                if not changed:
                    return body
                return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        return self._protect_text(body)

    def _hash_fast(self, body: str) -> str | None:
        """``protect_body`` of a JSON body in hash mode without parsing it in Python, or None.

        The values of the contact keys are rewritten in place in the text, which is otherwise
        kept byte for byte; None (use the exact parse) unless the text proves that result is
        the one the parse would give:

        - no backslash (so every quote delimits a string, and a string's text is its value),
          and no control bytes used as markers below;
        - each contact key is a real key: a quote can only open a key where the skeleton
          (quotes and brackets outside strings) says so, and no string holds a bracket;
        - every key whose value is a plain string, null or integer sits directly in an agent
          object (top object -> bucket list -> object), and every other contact key (an object
          value, say ``channelCapacity.email``) sits deeper or outside the buckets, where the
          parse leaves it alone too.
        """
        if self.key is None:
            return None  # the exact path raises if (and only if) something needs hashing
        try:
            raw = body.encode("utf-8")
        except UnicodeEncodeError:
            return None
        if any(mark in raw for mark in _CONTROL_MARKS):
            return None
        lowered = bytearray(raw.lower())
        pieces: list[bytes] = []
        last = 0
        found = False
        hashes = self._hash_cache()
        for match in _PII_KEY_AND_VALUE.finditer(lowered):
            found = True
            start = match.start()
            value_start, value_end = match.span(1)
            # The key string `"name"` becomes `\x00"ame"` (plain value) or `\x01"ame"`, so
            # the skeleton below keeps one marker byte for it.
            if value_start < 0:
                lowered[start : start + 2] = b'\x01"'
                continue  # a value not plain: fine only away from agent objects (checked below)
            lowered[start : start + 2] = b'\x00"'
            first = raw[value_start]
            if first == 34:
                if value_end - value_start == 2:
                    continue  # "" carries nothing personal and stays
                value = raw[value_start + 1 : value_end - 1]
            elif first == 110:
                continue  # null stays null
            else:
                value = raw[value_start:value_end]  # an integer: hashed as its digits
            hashed = hashes.get(value)
            if hashed is None:
                digest = hmac.new(self.key, value, hashlib.sha256).hexdigest()
                hashed = hashes[value] = f'"{HASH_PREFIX}{digest[:32]}"'.encode("ascii")
            pieces.append(raw[last:value_start])
            pieces.append(hashed)
            last = value_end
        if not found:
            return None  # no contact key: the cheap hint check (or the parse) decides
        # Quotes, brackets, commas and markers; whitespace (and all else) gone, so a trailing
        # comma, which DuckDB reads but Python's parser refuses, shows as ",}" or ",]".
        structure = bytes(lowered).translate(None, _NOT_STRUCTURE)
        if b",}" in structure or b",]" in structure:
            return None
        # Without backslashes every quote delimits a string: dropping the (bracket-free)
        # strings leaves the brackets and markers outside strings.
        skeleton = structure.translate(None, b",").replace(b'""', b"")
        if b'"' in skeleton or not skeleton.startswith(b"{"):
            return None  # a string holds a bracket (or the body is no object): use the parse
        marks = np.frombuffer(skeleton, dtype=np.uint8)
        curly = (marks == 123).view(np.int8) - (marks == 125).view(np.int8)
        square = (marks == 91).view(np.int8) - (marks == 93).view(np.int8)
        curly_depth = np.cumsum(curly, dtype=np.int32)
        depth = curly_depth + np.cumsum(square, dtype=np.int32)
        if depth[-1] != 0 or depth[:-1].min() < 1:
            return None  # not one JSON value
        # Keys sit in objects, so depth 3 with 2 of them curly is top -> list -> agent object.
        agent_level = (depth == 3) & (curly_depth == 2)
        plain = marks == 0
        if not agent_level[plain].all() or agent_level[marks == 1].any():
            return None
        if not pieces:
            return body
        pieces.append(raw[last:])
        return b"".join(pieces).decode("utf-8")

    def _hash_cache(self) -> dict[bytes, bytes]:
        """Stored forms already computed with this key (bounded; e-mails repeat every tick)."""
        key = self.key or b""
        cache = _HASH_CACHES.get(key)
        if cache is None or len(cache) > 200_000:
            if len(_HASH_CACHES) > 8:
                _HASH_CACHES.clear()
            cache = _HASH_CACHES[key] = {}
        return cache

    def scrub_text(self, text: str | None) -> str | None:
        """An error text as it may be stored: contact values in it protected like a body's."""
        if text is None or self.mode == "keep":
            return text
        return self._protect_text(text)

    def _protect_text(self, text: str) -> str:
        def field_value(match: re.Match[str]) -> str:
            raw = match.group(2)
            if self.mode == "drop":
                return match.group(1) + "null"
            if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
                try:
                    value = json.loads(raw)
                except ValueError:
                    value = raw.strip('"')
            else:
                value = raw.lstrip('"')
            return match.group(1) + json.dumps(self.protect_value(value))

        text = _PII_IN_TEXT.sub(field_value, text)
        # Loose e-mail addresses anywhere else in a non-JSON body (an echoed error, say).
        return _EMAIL_IN_TEXT.sub(
            lambda m: "null" if self.mode == "drop" else str(self.protect_value(m.group(0))),
            text,
        )
