"""What of a paper is embedded, and the hash that says whether it changed."""

from __future__ import annotations

import hashlib


def embedding_text(title: str, abstract: str) -> str:
    """``title. abstract``: what the dense index embeds for a paper."""
    return f"{title}. {abstract}" if abstract else title


def text_hash(text: str) -> str:
    """A 64-bit BLAKE2b hash of an embedded text, to skip papers whose text did not change."""
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
