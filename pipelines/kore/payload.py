"""Reading a 2xx body as JSON, the way every endpoint parser starts.

An HTML page (a proxy's or a login page) is refused at once; JSON cut short is marked
transient (another attempt may bring it whole); NaN/Infinity are refused as DuckDB's JSON
reader would; a body that is Kore's ``{"errors": [...]}`` is refused naming the errors.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pipelines.kore.errors import KoreInvalidResponseError
from pipelines.kore.transport import kore_errors

__all__ = ["flag", "load_json_body", "page_items", "text_or_none"]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load_json_body(
    text: str,
    payload: str,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
) -> Any:
    """The parsed body; ``payload`` names what was expected ("an agents page").
    ``object_pairs_hook`` as for :func:`json.loads` (the availability parser keeps a key an
    object repeats)."""
    if text.lstrip().startswith("<"):
        raise KoreInvalidResponseError(
            "the body is an HTML page, not JSON (a proxy, login or error page?)",
            hint="Check KORE_HOST points at the Kore.ai platform host",
        )
    try:
        data = json.loads(
            text, object_pairs_hook=object_pairs_hook, parse_constant=_reject_constant
        )
    except RecursionError:
        raise KoreInvalidResponseError(
            f"the body nests too deeply to be {payload} ({len(text)} characters)"
        ) from None
    except json.JSONDecodeError as exc:
        raise KoreInvalidResponseError(
            f"the body is not valid JSON ({exc.msg} at character {exc.pos}; {len(text)} "
            "characters, possibly truncated)",
            hint=(
                "Retried up to KORE_MAX_ATTEMPTS times; if every answer is cut short, check "
                "KORE_HOST and any proxy between here and Kore.ai"
            ),
            transient=True,
        ) from None
    except ValueError as exc:
        raise KoreInvalidResponseError(f"the body is not valid JSON ({exc})") from None
    if isinstance(data, dict) and "errors" in data:
        errors = kore_errors(text)
        if errors:
            raise KoreInvalidResponseError(
                f"the body is a Kore.ai error, not {payload}: "
                + "; ".join(f"{msg} (code {code})" for msg, code in errors)
            )
    return data


def text_or_none(value: Any) -> str | None:
    """A non-empty string as is, a number as text, anything else None (tolerant reading)."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def page_items(
    text: str,
    payload: str,
    key: str,
    paging_keys: tuple[str, ...] = ("hasMore",),
    aliases: tuple[str, ...] = (),
) -> tuple[dict[str, Any], list[Any]]:
    """A paged answer read as JSON: the page object and its list under ``key``.

    Every paged endpoint answers an object holding a list and its paging fields; an empty
    page may leave the list out, so a missing list is an empty page when a paging field is
    there, and a wrong answer otherwise. ``aliases`` are other spellings of ``key`` seen in
    Kore's documentation, read when ``key`` is absent.
    """
    data = load_json_body(text, payload)
    if not isinstance(data, dict):
        raise KoreInvalidResponseError(
            f"expected a JSON object with {key!r}, got {type(data).__name__}"
        )
    items = next((data[k] for k in (key, *aliases) if data.get(k) is not None), None)
    if items is None:
        if not any(k in data for k in paging_keys):
            raise KoreInvalidResponseError(f"the object has no {key!r} list; not {payload}")
        items = []
    if not isinstance(items, list):
        raise KoreInvalidResponseError(f"{key!r} should be a list, got {type(items).__name__}")
    return data, items


def flag(value: Any) -> bool | None:
    """A JSON boolean, or the text "true"/"false" in any case; anything else None (unsaid)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None
