"""Reading YAML safely: each file parsed once, refused before anything is built when it nests too deep, expands
aliases beyond a budget or repeats a key. Only PyYAML and the standard library: `monitor poll` reads the feed list
with it before the config models are loaded (monitor.early)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class YamlText(str):
    """A YAML scalar that looked like a date or time but is no valid one (`2026-02-30`): kept as the text it was,
    with its line, so the field that holds it can say what is wrong and where."""

    line: int

    def __new__(cls, value: str, line: int) -> YamlText:
        self = super().__new__(cls, value)
        self.line = line
        return self

    def where(self) -> str:
        return f" (line {self.line})"


# Hostile or careless YAML is refused before it is built into Python values: nesting deeper than this, or
# aliases that would expand to more than this many extra nodes ("billion laughs"), or an alias inside its own
# anchor. A real config nests a handful of levels and reuses a few term lists.
MAX_DEPTH = 64
ALIAS_BUDGET = 100_000
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Loader(_BaseLoader):
    """The safe loader (libyaml's when PyYAML has it) with dates that are no dates kept as located text, and
    integers too long for Python a YAML error at their line."""

    def _timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return self.construct_yaml_timestamp(node)
        except (ValueError, OverflowError):  # 2026-02-30: datetime refuses it; the field says why, with the line
            return YamlText(str(node.value), node.start_mark.line + 1)

    def _int(self, node: yaml.ScalarNode) -> Any:
        try:
            return self.construct_yaml_int(node)
        except ValueError as e:  # more digits than int() takes
            raise yaml.constructor.ConstructorError(None, None, "number too long", node.start_mark) from e


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader._timestamp)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader._int)


class _Refused(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class _Open:
    """A collection being read in the event pass, and the node it becomes."""

    node: yaml.SequenceNode | yaml.MappingNode
    anchor: str | None
    size: int = 1  # nodes once every alias inside is expanded
    keys: dict[tuple[str, str], int] = field(default_factory=dict)  # (tag, key) -> line, for mappings
    at_key: bool = True  # in a mapping, is the next child a key?

    @property
    def mapping(self) -> bool:
        return isinstance(self.node, yaml.MappingNode)


def _line(event: yaml.Event) -> int:
    return event.start_mark.line + 1 if event.start_mark is not None else 0


def compose(text: str) -> tuple[yaml.Node | None, list[str]]:
    """The document's node graph, composed in one pass over the parser's events that also vets them before
    anything is built: raises _Refused for nesting beyond MAX_DEPTH, a recursive alias or aliases expanding beyond
    ALIAS_BUDGET extra nodes; returns the root (None for an empty stream) and one line per duplicate mapping key.
    Linear in the size of the text, whatever its aliases. The nodes are PyYAML's, as its own composer makes them
    (the same errors for an undefined or duplicate anchor and for a second document), so the loader's constructor
    builds the values from them: the text is parsed once."""
    loader = _Loader(text)
    anchors: dict[str, _Open | int] = {}  # anchor -> its open collection, or its expanded size once closed
    nodes: dict[str, yaml.Node] = {}  # anchor -> its node, for aliases
    stack: list[_Open] = []
    extra = 0
    duplicates: list[str] = []
    root: yaml.Node | None = None
    documents = 0

    def child(event: yaml.Event, node: yaml.Node, size: int) -> None:
        """Add a finished child to its parent, count it; check a scalar key against the mapping's other keys."""
        nonlocal root
        if not stack:
            root = node
            return
        parent = stack[-1]
        parent.size += size
        if not parent.mapping:
            parent.node.value.append(node)
            return
        is_key, parent.at_key = parent.at_key, not parent.at_key
        if is_key:
            parent.node.value.append((node, None))
        else:
            parent.node.value[-1] = (parent.node.value[-1][0], node)
        if is_key and isinstance(node, yaml.ScalarNode):
            if node.tag == _MERGE_TAG:
                return
            line = _line(event)
            first = parent.keys.get((node.tag, node.value))
            if first is None:
                parent.keys[(node.tag, node.value)] = line
            else:
                duplicates.append(f"line {line}: duplicate key {node.value!r} (first at line {first})")

    def anchored(event: Any) -> None:
        if event.anchor is not None and event.anchor in nodes:
            raise yaml.composer.ComposerError(
                f"found duplicate anchor {event.anchor!r}; first occurrence",
                nodes[event.anchor].start_mark,
                "second occurrence",
                event.start_mark,
            )

    try:
        while loader.check_event():
            event: Any = loader.get_event()  # the C parser's marks are not yaml.error.Mark to the type checker
            if event is None:
                break
            line = _line(event)
            start: Any = event.start_mark
            end: Any = event.end_mark
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    assert root is not None
                    raise yaml.composer.ComposerError(
                        "expected a single document in the stream",
                        root.start_mark,
                        "but found another document",
                        start,
                    )
                anchors.clear()
                nodes.clear()
            elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                if len(stack) >= MAX_DEPTH:
                    raise _Refused(line, f"YAML nested deeper than {MAX_DEPTH} levels")
                anchored(event)
                kind = yaml.MappingNode if isinstance(event, yaml.MappingStartEvent) else yaml.SequenceNode
                tag = event.tag
                if tag is None or tag == "!":
                    tag = loader.resolve(kind, None, event.implicit)
                node = kind(tag, [], start, None, flow_style=event.flow_style)
                opened = _Open(node, event.anchor)
                if event.anchor is not None:
                    anchors[event.anchor] = opened
                    nodes[event.anchor] = node
                stack.append(opened)
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                closed = stack.pop()
                closed.node.end_mark = end
                if closed.anchor is not None and anchors.get(closed.anchor) is closed:
                    anchors[closed.anchor] = closed.size
                child(event, closed.node, closed.size)
            elif isinstance(event, yaml.ScalarEvent):
                anchored(event)
                tag = event.tag
                if tag is None or tag == "!":
                    tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
                scalar = yaml.ScalarNode(tag, event.value, start, end, style=event.style)
                if event.anchor is not None:
                    anchors[event.anchor] = 1
                    nodes[event.anchor] = scalar
                child(event, scalar, 1)
            elif isinstance(event, yaml.AliasEvent):
                target = anchors.get(event.anchor) if event.anchor is not None else None
                if isinstance(target, _Open):
                    raise _Refused(line, f"recursive YAML alias *{event.anchor} (inside its own anchor)")
                if target is None or event.anchor not in nodes:
                    raise yaml.composer.ComposerError(
                        None, None, f"found undefined alias {event.anchor!r}", start
                    )
                extra += target - 1
                if extra > ALIAS_BUDGET:
                    raise _Refused(line, f"YAML aliases expand beyond {ALIAS_BUDGET} nodes")
                child(event, nodes[event.anchor], target)
    finally:
        loader.dispose()
    return root, duplicates


def read_yaml(path: Path, label: str, out: list[str]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        out.append(f"{label}: file not found")
        return None
    except (OSError, UnicodeDecodeError) as e:
        out.append(f"{label}: cannot read: {e}")
        return None
    return read_yaml_text(text, label, out)


def read_yaml_text(text: str, label: str, out: list[str]) -> Any:
    """The values of one YAML document, parsed once (compose) and built by the safe constructor; each problem is
    one line in `out` (and None comes back when the document cannot be read)."""
    try:
        root, duplicates = compose(text)
        loader = _Loader("")
        try:
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except _Refused as e:
        out.append(f"{label}: line {e.line}: {e.message}")
        return None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        if mark and "maximum nesting depth" in problem:  # PyYAML >= 6.0.3 stops deep nesting in its scanner
            out.append(f"{label}: line {mark.line + 1}: YAML nested deeper than {MAX_DEPTH} levels")
            return None
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        kind = "YAML error" if isinstance(e, yaml.constructor.ConstructorError) else "YAML syntax error"
        out.append(f"{label}: {where}{kind}: {problem}")
        return None
    # Duplicate keys are reported, and the rest is still validated (the last value wins) so every problem shows.
    out.extend(f"{label}: {d}" for d in duplicates)
    return data


