"""Hiding passwords: every database URL a person may see goes through `hide_password` first."""

from __future__ import annotations

import re

# scheme://user:password@host — the password runs to the last '@' before the host part, so a
# password holding '@' or ':' is hidden whole. Passwords in a query string (?password=…) too.
_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/?#@\s]*:)[^/?#\s]*@")
_QUERY = re.compile(r"(?P<head>[?&]password=)[^&\s'\"]*", re.IGNORECASE)
MASK = "***"


def hide_password(text: str) -> str:
    """`text` with the password of every URL in it replaced by ***."""
    text = _USERINFO.sub(lambda m: f"{m['head']}{MASK}@", text)
    return _QUERY.sub(lambda m: f"{m['head']}{MASK}", text)
