"""Text from data (feeds, config, command line, database) made safe to write to a terminal.

Nothing in such a string may act on the terminal: control characters (C0, DEL, C1: ESC starts colour codes,
screen clears, OSC titles and hyperlinks) and bidi embedding/override/isolate controls (which reorder what is
shown) are turned into visible escapes. Markup is not this module's concern: the console never parses it.
"""

from __future__ import annotations

import re

from rich.text import Text

from ..views import json_visible

__all__ = ["json_visible", "safe_text", "visible"]

# Explicit bidi embeddings, overrides and isolates: LRE RLE PDF LRO RLO, LRI RLI FSI PDI.
_BIDI = "\u202a-\u202e\u2066-\u2069"
_CONTROL = "\x00-\x1f\x7f-\x9f"
_LINE_BREAK = re.compile(r"\r\n|[\r\n\t]")
_UNSAFE = re.compile(f"[{_CONTROL}{_BIDI}]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c <= 0xFF else f"\\u{c:04x}"


def visible(text: str) -> str:
    """`text` with line breaks and tabs as spaces and every other control character as a visible escape:
    ESC → `\\x1b`, other C0/DEL/C1 → `\\xNN`, bidi controls → `\\u202e`. Everything else is kept as is."""
    return _UNSAFE.sub(_escape, _LINE_BREAK.sub(" ", text))


def safe_text(text: Text) -> Text:
    """A rich Text with `visible()` applied to its characters, its styles kept on the same pieces."""
    plain = text.plain
    if visible(plain) == plain:
        return text
    edges = {s.start for s in text.spans} | {s.end for s in text.spans}
    out = Text(
        style=text.style,
        justify=text.justify,
        overflow=text.overflow,
        no_wrap=text.no_wrap,
        end=text.end,
        tab_size=text.tab_size,
    )
    for piece in text.divide(sorted(e for e in edges if 0 < e < len(plain))):
        part = Text(visible(piece.plain))
        for span in piece.spans:  # pieces are cut at every span edge: each span covers its whole piece
            part.stylize(span.style)
        out.append_text(part)
    return out
