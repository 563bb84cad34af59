"""'Did you mean …?' for misspelt keys, ids and names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The candidate closest to ``word``, if any is close enough (case-insensitive)."""
    options = list(candidates)
    lowered = {c.lower(): c for c in options}
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=cutoff)
    return lowered[match[0]] if match else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """``"did you mean 'owner'?"`` or None."""
    match = closest(word, candidates)
    return f"did you mean {match!r}?" if match else None
