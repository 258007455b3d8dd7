"""The direction of the arrows (shared ARCHITECTURE.md): every `import` in monitor/, read with `ast`, including
imports inside functions and under TYPE_CHECKING, as they couple modules just the same.

- no module imports one that imports it back, however long the circle;
- match/ is pure: nothing from definitions, storage, sources, cli or the use cases;
- sources/ returns items: nothing from match, storage, cli or the use cases;
- nothing outside cli/ imports cli/.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "monitor"
USE_CASES = (
    "monitor.app",
    "monitor.config",
    "monitor.poll",
    "monitor.evidence",
    "monitor.tracking",
    "monitor.review",
    "monitor.setup",
    "monitor.checks",
    "monitor.demo",
    "monitor.overview",
    "monitor.corrections",
    "monitor.subscribers",
    "monitor.digest",
    "monitor.digest.run",
    "monitor.digest.render",
    "monitor.digest.message",
    "monitor.digest.send",
    "monitor.daemon.run",
    "monitor.daemon.jobs",
    "monitor.daemon.status",
    "monitor.preview",
    "monitor.browse",
    "monitor.feeds_file",
)

Graph = dict[str, dict[str, int]]  # module -> {imported module: line of the first such import}


def modules() -> dict[str, tuple[Path, bool]]:
    """Every module of the package by dotted name, with its file and whether it is a package's __init__."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def import_graph() -> Graph:
    known = modules()
    graph: Graph = {}
    for name, (path, is_package) in known.items():
        package = name if is_package else name.rpartition(".")[0]
        edges: dict[str, int] = {}
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    source = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    source = node.module or ""
                # `from . import definitions` imports the module monitor.definitions; `from .x import y` imports x
                targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in known else source for a in node.names]
            for target in targets:
                if target in known and target not in (name, "monitor"):
                    edges.setdefault(target, node.lineno)
        graph[name] = edges
    return graph


GRAPH = import_graph()
MODULES = modules()


def inside(module: str, area: str) -> bool:
    return module == area or module.startswith(area + ".")


def file_of(name: str) -> str:
    if name in MODULES:
        return MODULES[name][0].relative_to(PACKAGE.parent).as_posix()
    return name.replace(".", "/") + ".py"


def violations(graph: Graph, importer: str, forbidden: tuple[str, ...]) -> list[str]:
    """`monitor/x.py:12 imports monitor.y` for each import by a module in `importer` of one in `forbidden`."""
    out = []
    for name, edges in sorted(graph.items()):
        if not inside(name, importer):
            continue
        for target, line in sorted(edges.items()):
            if any(inside(target, area) for area in forbidden):
                out.append(f"{file_of(name)}:{line} imports {target}")
    return out


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted: every circle of imports
    lies inside one of them."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def without(graph: Graph, *edges: tuple[str, str]) -> Graph:
    return {name: {t: line for t, line in targets.items() if (name, t) not in edges} for name, targets in graph.items()}


# ---------------------------------------------------------------- the checker itself


def test_the_graph_is_read() -> None:
    """A walker that found nothing would pass every rule below."""
    assert {"monitor.match.engine", "monitor.definitions.assemble", "monitor.sources.text"} <= set(GRAPH)
    assert "monitor.match.rules" in GRAPH["monitor.match.engine"]  # from .rules import ...
    assert "monitor.definitions" in GRAPH["monitor.config"]  # from . import definitions
    assert "monitor.sources.text" in GRAPH["monitor.sources.items"]
    toy: Graph = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}
    assert cycles(toy) == [["a", "b", "c"]]
    assert cycles(without(toy, ("c", "a"))) == []
    assert violations({"monitor.match.x": {"monitor.storage.y": 3}}, "monitor.match", ("monitor.storage",)) == [
        "monitor/match/x.py:3 imports monitor.storage.y"
    ]


# ---------------------------------------------------------------- the rules


def test_no_import_cycles() -> None:
    assert cycles(GRAPH) == []


def test_definitions_and_match_do_not_import_each_other_in_a_circle() -> None:
    assert violations(GRAPH, "monitor.match", ("monitor.definitions",)) == []
    assert "monitor.match.rules" in GRAPH["monitor.definitions.types"]  # definitions builds match's rule types


def test_match_is_pure() -> None:
    forbidden = ("monitor.definitions", "monitor.storage", "monitor.sources", "monitor.cli", "monitor.clock")
    assert violations(GRAPH, "monitor.match", forbidden + USE_CASES) == []


def test_sources_know_nothing_of_matching_storage_or_milestones() -> None:
    forbidden = ("monitor.match", "monitor.storage", "monitor.cli", "monitor.definitions")
    assert violations(GRAPH, "monitor.sources", forbidden + USE_CASES) == []


def test_definitions_know_nothing_of_storage_or_cli() -> None:
    # definitions/ builds the types that match/ (rules) and sources/ (selectors) own, as it builds config.
    forbidden = ("monitor.storage", "monitor.cli")
    assert violations(GRAPH, "monitor.definitions", forbidden + USE_CASES) == []


def test_nothing_imports_cli() -> None:
    outside = {name: edges for name, edges in GRAPH.items() if not inside(name, "monitor.cli")}
    assert violations(outside, "monitor", ("monitor.cli",)) == []


def test_digest_content_is_pure() -> None:
    """What a digest says is a function of views: no database, app, clock, templates or SMTP."""
    forbidden = (
        "monitor.storage",
        "monitor.app",
        "monitor.clock",
        "monitor.cli",
        "monitor.digest.render",
        "monitor.digest.send",
        "monitor.digest.run",
        "monitor.sources",
    )
    assert violations(GRAPH, "monitor.digest.content", forbidden) == []
    path = MODULES["monitor.digest.content"][0]
    imported = {
        (a.name if isinstance(node, ast.Import) else node.module or "").split(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for a in node.names
    }
    assert not imported & {"sqlalchemy", "jinja2", "smtplib", "css_inline", "socket"}


def test_storage_knows_nothing_of_sources_or_use_cases() -> None:
    assert violations(GRAPH, "monitor.storage", ("monitor.sources", "monitor.cli", *USE_CASES)) == []


def test_planners_are_pure() -> None:
    forbidden = ("monitor.storage", "monitor.sources", "monitor.match", "monitor.definitions", "monitor.cli")
    assert violations(GRAPH, "monitor.plan", forbidden + USE_CASES) == []


def test_use_cases_read_state_only_through_storage() -> None:
    """No use case runs its own SQL: sqlalchemy and the ORM schema are storage's."""
    for case in USE_CASES:
        path = MODULES[case][0]
        imported = {
            a.name if isinstance(node, ast.Import) else node.module or ""
            for node in ast.walk(ast.parse(path.read_text(), str(path)))
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for a in node.names
        }
        direct = sorted(m for m in imported if m.split(".")[0] == "sqlalchemy" or m.endswith("schema"))
        assert direct == [], f"{file_of(case)} imports {direct}"


def test_the_report_reads_state_only_through_storage_and_the_views() -> None:
    """report/ (like digest/) is an output: its SQL lives in storage/, it never imports the ORM or the CLI."""
    for name in (m for m in MODULES if inside(m, "monitor.report")):
        path = MODULES[name][0]
        imported = {
            a.name if isinstance(node, ast.Import) else node.module or ""
            for node in ast.walk(ast.parse(path.read_text(), str(path)))
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for a in node.names
        }
        direct = sorted(m for m in imported if m.split(".")[0] == "sqlalchemy" or m.endswith("schema"))
        assert direct == [], f"{file_of(name)} imports {direct}"
    assert violations(GRAPH, "monitor.report", ("monitor.cli", "monitor.storage.schema", "monitor.poll")) == []
    assert "monitor.storage.trends" in GRAPH["monitor.report.state"]  # the walk sees report/
