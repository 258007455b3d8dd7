"""The term language of milestones.yaml: phrases, `prefix*`, `/regex/`, `@alias`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .normalize import normalize

TermKind = Literal["phrase", "prefix", "regex", "alias"]


@dataclass(frozen=True)
class Term:
    kind: TermKind
    text: str  # normalised phrase or prefix, the regex source, or the alias name
    source: str  # as written in the config

    def pattern(self) -> str:
        """A regular expression for this term on normalised text, whole words only (not for aliases)."""
        if self.kind == "regex":
            return self.text
        # "rare earth" also finds "rare-earth" and the other way round.
        words = r"[\s\-]+".join(re.escape(w) for w in re.split(r"[\s\-]+", self.text) if w)
        tail = r"\w*" if self.kind == "prefix" else ""
        return rf"(?<!\w){words}{tail}(?!\w)"


def parse_term(raw: object) -> Term:
    """Parse one term as written; raises ValueError with a message naming it."""
    if not isinstance(raw, str):
        raise ValueError(f"a term must be a string, got {raw!r}")
    s = raw.strip()
    if not s:
        raise ValueError("empty term")
    if len(s) >= 2 and s.startswith("/") and s.endswith("/"):
        body = s[1:-1]
        try:
            re.compile(body)
        except re.error as e:
            raise ValueError(f"bad regular expression {raw!r}: {e}") from None
        if re.compile(body).search("") is not None:
            raise ValueError(f"regular expression {raw!r} matches empty text")
        return Term("regex", body, raw)
    if s.startswith("@"):
        name = s[1:]
        if not re.fullmatch(r"[a-z0-9_-]+", name):
            raise ValueError(f"bad alias reference {raw!r}")
        return Term("alias", name, raw)
    if s.endswith("*"):
        text = normalize(s[:-1])
        if not text or "*" in text:
            raise ValueError(f"bad prefix term {raw!r}")
        return Term("prefix", text, raw)
    text = normalize(s)
    if not re.search(r"\w", text):
        raise ValueError(f"term {raw!r} has no letters or digits")
    return Term("phrase", text, raw)
