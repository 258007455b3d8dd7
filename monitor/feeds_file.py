"""Editing a home's config/feeds.yaml from the command line: add a feed, disable or enable one.

The file is edited as a document, not rewritten from data: comments, key order, quoting and layout stay as the
person who wrote it left them (ruamel.yaml's round trip). Every edit is checked with the same validation as any
command's config load, on the text it would write, before anything is written; the file is then replaced
atomically (a temporary file beside it, renamed over it), so it is never half-written and a refused edit leaves
it byte for byte as it was. The database is not touched: the next command syncs the config into it as usual.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from . import config as config_mod
from . import home as home_mod
from .errors import ConfigError, InputError, unknown_id
from .files import replace_file

FEEDS = "feeds.yaml"
LABEL = f"config/{FEEDS}"
MAX_ID = 60
FEED_TYPES = ("rss", "federal_register", "html")
TIERS = ("official", "news")
_NOT_ID = re.compile(r"[^a-z0-9]+")
_EXTENSIONS = re.compile(r"\.(xml|rss|atom|rdf|json|php|html?|aspx?|cfm|jsp)$")


@dataclass(frozen=True)
class AddedFeed:
    id: str
    type: str
    url: str
    path: Path  # the feeds file written


@dataclass(frozen=True)
class EnabledChange:
    id: str
    enabled: bool
    changed: bool  # False: it already was


# ---------------------------------------------------------------- pure decisions


def derive_id(url: str, taken: Sequence[str]) -> str:
    """A feed id from its URL: host (without `www.`) and path words, `[a-z0-9-]+`, at most MAX_ID characters, made
    unique against `taken` with -2, -3 ... `https://www.meti.go.jp/ml_index_en_atom.xml` ->
    `meti-go-jp-ml-index-en-atom`. A local path gives its file name: `samples/feed.xml` -> `feed`."""
    parts = urlsplit(url)
    if parts.scheme.lower() in ("http", "https"):
        host = (parts.hostname or "").removeprefix("www.")
        words = [host, *unquote(parts.path).split("/")]
    else:
        path = unquote(parts.path) if url.startswith("file:") else url
        words = [Path(path).name]
    words = [_EXTENSIONS.sub("", w.lower()) for w in words]
    base = _NOT_ID.sub("-", "-".join(w for w in words if w)).strip("-")
    if len(base) > MAX_ID:
        base = base[:MAX_ID].rsplit("-", 1)[0] if "-" in base[:MAX_ID] else base[:MAX_ID]
    base = base.strip("-") or "feed"
    found, n = base, 2
    while found in taken:
        found = f"{base}-{n}"
        n += 1
    return found


def sniff_type(url: str) -> str:
    """The source type a URL most likely is, from the URL alone: the Federal Register's documents API, else rss
    (an html listing page needs selectors, so it is never guessed)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host.removeprefix("www.") == "federalregister.gov" and parts.path.startswith("/api/"):
        return "federal_register"
    return "rss"


def new_entry(
    url: str,
    feed_id: str,
    feed_type: str,
    tier: str | None,
    countries: Sequence[str],
    title: str | None,
) -> dict[str, Any]:
    """The entry as it is written: only what was given or derived, in the order the shipped file uses."""
    entry: dict[str, Any] = {"id": feed_id}
    if title is not None:
        entry["title"] = title
    entry["type"] = feed_type
    entry["url"] = url
    if tier is not None:
        entry["tier"] = tier
    if countries:
        entry["countries"] = [c.upper() for c in countries]
    return entry


# ---------------------------------------------------------------- the document


class _Document:
    """feeds.yaml as a round-trip document: edited in place, dumped with the layout it was read with."""

    def __init__(self, path: Path):
        from ruamel.yaml import YAML
        from ruamel.yaml.error import YAMLError
        from ruamel.yaml.util import load_yaml_guess_indent

        self.path = path
        try:
            self.text = path.read_text(encoding="utf-8") if path.exists() else ""
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"{LABEL}: cannot read: {e}") from e
        self.yaml = YAML()  # round trip: comments, order and quoting kept
        self.yaml.preserve_quotes = True
        self.yaml.width = 4096  # never fold a long URL onto a second line
        try:
            if self.text.strip():
                _, indent, block_seq_indent = load_yaml_guess_indent(self.text)
                self.yaml.indent(mapping=2, sequence=indent or 4, offset=block_seq_indent or 2)
            else:
                self.yaml.indent(mapping=2, sequence=4, offset=2)
            self.data: Any = self.yaml.load(self.text) if self.text.strip() else None
        except YAMLError as e:
            raise ConfigError(f"{LABEL}: cannot be edited, it is not valid YAML: {str(e).splitlines()[0]}") from e
        if self.data is None:
            from ruamel.yaml.comments import CommentedMap

            self.data = CommentedMap()
        if not isinstance(self.data, dict):  # ruamel's CommentedMap is a dict
            raise ConfigError(f"{LABEL}: (top level): expected a mapping with a 'feeds' list")
        if self.data.get("feeds") is None:
            from ruamel.yaml.comments import CommentedSeq

            self.data["feeds"] = CommentedSeq()
        if not isinstance(self.data["feeds"], list):
            raise ConfigError(f"{LABEL}: feeds: expected a list")

    @property
    def feeds(self) -> list[Any]:
        feeds: list[Any] = self.data["feeds"]
        return feeds

    def ids(self) -> list[str]:
        return [e["id"] for e in self.feeds if isinstance(e, Mapping) and isinstance(e.get("id"), str)]

    def entry(self, feed_id: str) -> Any:
        for e in self.feeds:
            if isinstance(e, Mapping) and e.get("id") == feed_id:
                return e
        raise unknown_id("feed", feed_id, self.ids())

    def dump(self) -> str:
        out = io.StringIO()
        self.yaml.dump(self.data, out)
        return out.getvalue()


def _flow_list(values: Sequence[str]) -> Any:
    from ruamel.yaml.comments import CommentedSeq

    seq = CommentedSeq(values)
    seq.fa.set_flow_style()  # countries: [JP], as the shipped file writes them
    return seq


def _trailing(mapping: Any) -> str:
    """Take the comment lines that follow a mapping's last line (ruamel keeps them with its last key, where they
    belong to whatever comes next: the next entry's own comment), leaving its end-of-line comment; returns them."""
    if not mapping:
        return ""
    last = list(mapping)[-1]
    slot = mapping.ca.items.get(last)
    token = slot[2] if slot and len(slot) > 2 else None
    if token is None or "\n" not in token.value:
        return ""
    cut = token.value.index("\n") + 1
    head, rest = token.value[:cut], token.value[cut:]
    if not rest:
        return ""
    if head.strip():
        token.value = head
    else:
        slot[2] = None
    return rest


def _give_trailing(mapping: Any, rest: str) -> None:
    """Put comment lines taken by _trailing after the mapping's (new) last key."""
    if not rest:
        return
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    mapping.ca.items[list(mapping)[-1]] = [None, None, CommentToken("\n" + rest, CommentMark(0), None), None]


def _checked_write(home: home_mod.Home, doc: _Document, text: str) -> None:
    """Validate the whole config as it would be with `text` as feeds.yaml, then replace the file atomically."""
    _, found = config_mod.problems(home, texts={FEEDS: text})
    if found:
        raise ConfigError(found)
    write_atomically(doc.path, text)


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` all at once, keeping its permissions (0644 for a new file)."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    replace_file(path, text.encode("utf-8"), mode)


# ---------------------------------------------------------------- the edits


def add_feed(
    where: str | Path | None,
    url: str,
    *,
    feed_id: str | None = None,
    feed_type: str | None = None,
    tier: str | None = None,
    countries: Sequence[str] = (),
    title: str | None = None,
) -> AddedFeed:
    """Append a feed to the home's feeds.yaml. Refused (InputError / ConfigError, file unchanged): a URL already
    configured, an id already taken, or any entry the config validation refuses."""
    home = home_mod.find(where)
    doc = _Document(home.config_dir / FEEDS)
    url = url.strip()
    for e in doc.feeds:
        if isinstance(e, Mapping) and e.get("url") == url:
            raise InputError(f"{url!r} is already configured as feed {e.get('id')!r}")
    if feed_type is not None and feed_type not in FEED_TYPES:
        raise InputError(f"--type: unknown source type {feed_type!r} (one of: {', '.join(FEED_TYPES)})")
    if tier is not None and tier not in TIERS:
        raise InputError(f"--tier: unknown tier {tier!r} (one of: {', '.join(TIERS)})")
    taken = doc.ids()
    if feed_id is not None and feed_id in taken:
        raise InputError(f"--id: feed {feed_id!r} already exists in {LABEL}")
    chosen = feed_id if feed_id is not None else derive_id(url, taken)
    kind = feed_type or sniff_type(url)
    entry = new_entry(url, chosen, kind, tier, countries, title)
    from ruamel.yaml.comments import CommentedMap

    row = CommentedMap()
    for k, v in entry.items():
        row[k] = _flow_list(v) if isinstance(v, list) else v
    rest = _trailing(doc.feeds[-1]) if doc.feeds and isinstance(doc.feeds[-1], dict) else ""
    doc.feeds.append(row)
    _give_trailing(row, rest)
    _checked_write(home, doc, doc.dump())
    return AddedFeed(chosen, kind, url, doc.path)


def set_enabled(where: str | Path | None, feed_id: str, enabled: bool) -> EnabledChange:
    """Set a feed's `enabled:` in place (its other keys and comments untouched); a feed already in that state is
    left alone, file and all."""
    home = home_mod.find(where)
    doc = _Document(home.config_dir / FEEDS)
    entry = doc.entry(feed_id)
    if bool(entry.get("enabled", True)) == enabled:
        return EnabledChange(feed_id, enabled, changed=False)
    if "enabled" in entry:
        entry["enabled"] = enabled  # in place: its comment stays
    else:
        rest = _trailing(entry)
        entry["enabled"] = enabled
        _give_trailing(entry, rest)
    _checked_write(home, doc, doc.dump())
    return EnabledChange(feed_id, enabled, changed=True)
