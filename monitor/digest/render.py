"""A Digest as mail text: subject, plain text and HTML, from Jinja2 templates.

Templates are `digest/subject.txt`, `digest/digest.txt` and `digest/digest.html` (with `digest/digest.css`) in the
shipped templates/; a file of the same name in the home's templates/ wins. Undefined names are errors
(StrictUndefined). Every string of the digest is made one line of text before a template sees it: CR, LF and tabs
become spaces, other control and bidi characters are dropped, so nothing from a feed can start a line of its own
or reorder what is shown; HTML templates escape it as well (autoescape), and only http(s) URLs become links.
The HTML's CSS is inlined into style attributes (css-inline; @media rules stay in a <style> element); no remote
stylesheet is fetched.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import textwrap
from dataclasses import dataclass, fields, is_dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import ConfigError
from .content import Digest

SUBJECT, TEXT, HTML = "digest/subject.txt", "digest/digest.txt", "digest/digest.html"
MAX_SUBJECT = 200

_LINE_BREAKS = re.compile(r"[\r\n\t\v\f\x85\u2028\u2029]+")
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r" {2,}")


@dataclass(frozen=True)
class RenderedDigest:
    subject: str
    text: str
    html: str


def one_line(value: str) -> str:
    """`value` as one line of text: line breaks and tabs as single spaces, control and bidi characters dropped."""
    return _SPACES.sub(" ", _INVISIBLE.sub("", _LINE_BREAKS.sub(" ", value))).strip()


def _finalize(value: Any) -> Any:
    """Jinja's finalize hook: None prints as nothing."""
    return "" if value is None else value


def cleaned(value: Any) -> Any:
    """`value` with every string in it made one line (one_line), through dataclasses, tuples and lists: what the
    templates get, so that no template, shipped or a home's own, can print a raw line break from a feed."""
    if isinstance(value, str):
        return one_line(value)
    if isinstance(value, tuple | list):
        return type(value)(cleaned(v) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: cleaned(getattr(value, f.name)) for f in fields(value) if f.init}
        return replace(value, **changes)
    return value


def clip(value: str | None, limit: int = 300) -> str:
    """At most `limit` characters, cut at a word when there is one near the end, with an ellipsis."""
    text = one_line(value or "")
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip() + "…"


def wrap(value: str | None, first: str = "", rest: str | None = None, width: int = 76) -> str:
    """Plain-text paragraph: wrapped at `width`, the first line indented by `first`, the others by `rest`; a word
    longer than a line (a long unbroken string) is broken, a URL never is (it is put on a line of its own)."""
    text = one_line(value or "")
    if not text:
        return first.rstrip()
    indent = " " * len(first) if rest is None else rest
    lines: list[str] = []
    words: list[str] = []

    def flush() -> None:
        if words:
            lines.extend(
                textwrap.wrap(
                    " ".join(words),
                    width=width,
                    initial_indent=first if not lines else indent,
                    subsequent_indent=indent,
                    break_long_words=True,
                    break_on_hyphens=False,
                )
            )
            words.clear()

    for word in text.split(" "):
        if len(word) > width // 2 and word.startswith(("http://", "https://")) and http_url(word):
            flush()
            lines.append((first if not lines else indent) + word)
        else:
            words.append(word)
    flush()
    return "\n".join(lines)


def http_url(value: str | None) -> str | None:
    """`value` if it is an http(s) URL with a host (and no spaces or control characters), else None."""
    if not value or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return value if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def day(value: dt.date | None) -> str:
    """'22 Nov 2026'."""
    return "" if value is None else f"{value.day} {value:%b %Y}"


def nowrap(value: str) -> str:
    """Spaces as no-break spaces: a phrase that `wrap` keeps on one line ('3 overdue')."""
    return value.replace(" ", "\u00a0")


def label(value: str) -> str:
    """A state as words: 'due_soon' -> 'due soon', 'in_progress' -> 'in progress'."""
    return value.replace("_", " ")


REVIEW_WORDS = {"new": "awaiting review", "confirmed": "confirmed", "dismissed": "dismissed"}
# `none`: a mention of the subject that moves nothing (a match with no signal word at all is progress)
SIGNAL_WORDS = {"completion": "completion", "delay": "delay", "progress": "progress", "none": "mention only"}


def review(state: str) -> str:
    return REVIEW_WORDS.get(state, label(state))


def signal(value: str) -> str:
    return SIGNAL_WORDS.get(value, label(value))


def environment(home_templates: Path | None, shipped: Path) -> Any:
    """The Jinja2 environment: the home's templates first, then the shipped ones. Made once for each state of the
    home's templates/digest/ (compiling the templates is most of the cost of a digest): a file added, removed or
    edited there gives a new environment; an edited shipped file is compiled again (auto_reload)."""
    return _environment(home_templates, shipped, _fingerprint(home_templates))


def _fingerprint(home_templates: Path | None) -> tuple[tuple[str, int], ...]:
    if home_templates is None:
        return ()
    try:
        return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in (home_templates / "digest").iterdir()))
    except OSError:  # no templates/digest/ in the home: only the shipped ones
        return ()


@functools.lru_cache(maxsize=8)
def _environment(home_templates: Path | None, shipped: Path, _state: tuple[tuple[str, int], ...]) -> Any:
    import jinja2

    dirs = [str(d) for d in (home_templates, shipped) if d is not None]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(dirs),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "htm", "xml"), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        clip=clip, wrap=wrap, nowrap=nowrap, day=day, label=label, http_url=http_url, review=review, signal=signal
    )
    env.globals.update(day=day)
    return env


def _context(digest: Digest) -> dict[str, Any]:
    digest = cleaned(digest)
    r = digest.recipient
    frequency = {"weekly": "Weekly", "daily": "Daily"}.get(digest.frequency, digest.frequency.capitalize())
    return {
        "digest": digest,
        "counts": digest.counts,
        "recipient": r,
        "title": f"{frequency} digest",
        "product": "Implementation monitor",
        "period": f"{day(digest.start_day)} – {day(digest.end_day)}"
        if digest.start_day != digest.end_day
        else day(digest.end_day),
    }


@functools.lru_cache(maxsize=1)
def _inliner() -> Any:
    import css_inline

    return css_inline.CSSInliner(keep_style_tags=False, keep_at_rules=True, load_remote_stylesheets=False)


def render(digest: Digest, home_templates: Path | None, shipped: Path) -> RenderedDigest:
    """Subject, plain text and HTML with inlined CSS. A template that is missing, does not parse, or names
    something the digest does not have is a ConfigError naming the template."""
    import jinja2

    env = environment(home_templates, shipped)
    context = _context(digest)
    parts: dict[str, str] = {}
    for name in (SUBJECT, TEXT, HTML):
        try:
            parts[name] = env.get_template(name).render(context)
        except jinja2.TemplateSyntaxError as e:
            raise ConfigError(f"templates/{e.name or name}: line {e.lineno}: template syntax error: {e.message}") from e
        except jinja2.TemplateNotFound as e:
            raise ConfigError(f"templates/{name}: template not found ({e.name})") from e
        except jinja2.TemplateError as e:
            raise ConfigError(f"templates/{name}: {e.message or type(e).__name__}") from e
    try:
        html = _inliner().inline(parts[HTML])
    except ValueError as e:  # css_inline.InlineError is a ValueError
        raise ConfigError(f"templates/{HTML}: cannot inline its CSS: {e}") from e
    subject = clip(parts[SUBJECT], MAX_SUBJECT)
    text = parts[TEXT].replace("\r\n", "\n").rstrip("\n") + "\n"
    return RenderedDigest(subject, text, html)
