"""Option values as commands and the library take them: one value, a repeated option, or "a,b" (two values), each
checked against the known ones. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from .errors import InputError, unknown_id


def many(value: str | Sequence[str] | None) -> list[str]:
    """An option given once, repeated, or as a comma-separated list: its values, blanks dropped."""
    if value is None:
        return []
    given = [value] if isinstance(value, str) else list(value)
    return [part.strip() for v in given for part in v.split(",") if part.strip()]


def distinct(value: str | Sequence[str] | None) -> list[str]:
    """`many(value)`, each value once, in the order first given."""
    return list(dict.fromkeys(many(value)))


def check_words(values: Sequence[str], known: Sequence[str], what: str) -> None:
    """Raise InputError naming the first value that is not one of `known` (a short fixed list, shown whole)."""
    for v in values:
        if v not in known:
            raise InputError(f"unknown {what} {v!r} (one of: {', '.join(known)})")


def check_ids(values: Sequence[str], known: list[str], kind: str) -> None:
    """Raise InputError naming the first value that is not a known id, with the closest ids as hints."""
    for v in values:
        if v not in known:
            raise unknown_id(kind, v, known)
