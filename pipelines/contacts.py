"""Contact data inside free text (a server's error message, an echoed request): one pattern.

Error texts go to the run log, Dagster metadata and ``raw_responses.error_text``; none of them
needs an agent's e-mail address or phone number, whatever the PII policy keeps of agents'
records. :func:`scrub_contacts` replaces them where error texts are made (the Kore client), so
every later copy is clean; :mod:`pipelines.warehouse.pii` uses the same patterns on bodies.
"""

from __future__ import annotations

import re

__all__ = ["EMAIL_IN_TEXT", "FIELD_NAMES", "REMOVED", "scrub_contacts"]

# Agent fields holding contact data: Kore's emailId and phoneNumber, and the obvious variants a
# later API revision might use.
FIELD_NAMES = r"e-?mail(?:id|address)?|phone(?:number)?|mobile(?:number|phone)?"
EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
REMOVED = "<contact removed>"
# "emailId": "x", 'phoneNumber': 123, emailId=x: a contact field's value in any quoting.
_FIELD_VALUE = re.compile(
    rf"""(["']?(?:{FIELD_NAMES})["']?\s*[:=]\s*)("(?:[^"\\]|\\.)*"?|'[^']*'?|[^\s,;}}\]]+)""",
    re.I,
)


def scrub_contacts(text: str) -> str:
    """``text`` with e-mail addresses and the values of contact fields replaced."""
    text = _FIELD_VALUE.sub(lambda m: m.group(1) + REMOVED, text)
    return EMAIL_IN_TEXT.sub(REMOVED, text)
