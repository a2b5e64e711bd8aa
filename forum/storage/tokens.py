"""What is kept of a token the browser holds (a session, a sign-in challenge, a reset link): its
SHA-256, so a copy of the database signs no one in and finishes no one's sign-in."""

from __future__ import annotations

import hashlib


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
