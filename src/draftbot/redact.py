"""Secrets the run knows (the API key, a password in the service address) never leave it in text.

Config resolution registers them; every model answer is redacted before it is used (a server that
echoes the key must not get it into the draft or the Word file), and so is everything the CLI
prints and every text file draftbot writes. A redacted secret shows as ****.
"""

from __future__ import annotations

import threading

MASK = "****"
MIN_LENGTH = 6  # shorter values would blank ordinary words
_SECRETS: set[str] = set()
_LOCK = threading.Lock()


def register(*secrets: str | None) -> None:
    with _LOCK:
        _SECRETS.update(s for s in secrets if isinstance(s, str) and len(s.strip()) >= MIN_LENGTH)


def known() -> tuple[str, ...]:
    with _LOCK:
        return tuple(sorted(_SECRETS, key=len, reverse=True))  # longest first: no partial leftovers


def redact(text: str, extra: tuple[str, ...] = ()) -> tuple[str, bool]:
    """`text` with every known secret (and `extra`) replaced by ****, and whether any was found."""
    found = False
    for secret in (*known(), *(s for s in extra if s and len(s) >= MIN_LENGTH)):
        if secret in text:
            text, found = text.replace(secret, MASK), True
    return text, found


def clean(text: str) -> str:
    return redact(text)[0] if _SECRETS else text
