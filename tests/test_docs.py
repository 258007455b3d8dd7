"""The README's CLI reference and the commands' help keep up with the CLI: every command and every long option is
documented, and every command's help ends with an example that the real parser accepts.
(Modelled on sqlite-utils' tests/test_docs.py, which walks the click command tree.)"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from monitor.cli import app
from tests.conftest import REPO

HELP_OPTIONS = {"--help", "-h"}
LENT = {"--home"}  # global options every command also takes after its name: documented once, with the globals
MEANS_TWO_THINGS = {"--country"}  # the same flag with a different meaning per command (see the shared-option test)
ENV_ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")


def walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, click command) for the root, every group and every command below it."""
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from walk(sub, (*path, name))


ROOT = typer.main.get_command(app)
COMMANDS = list(walk(ROOT))
SUBCOMMANDS = [(path, cmd) for path, cmd in COMMANDS if path]


def ids(cases: list[tuple[tuple[str, ...], Any]]) -> list[str]:
    return [" ".join(path) or "monitor" for path, _ in cases]


def long_options(command: Any, lent: bool = True) -> list[str]:
    """The command's long options; without the global ones every command takes (LENT) unless `lent`."""
    return sorted(
        opt
        for p in command.params
        if p.param_type_name == "option"
        for opt in (*p.opts, *p.secondary_opts)
        if opt.startswith("--") and opt not in HELP_OPTIONS and (lent or opt not in LENT)
    )


def cli_reference() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## CLI reference\n(.*?)(?=^## )", text, re.M | re.S)
    assert match, "README.md has no '## CLI reference' section"
    return match.group(1)


def synopses() -> list[str]:
    """The first cell of each command row of the reference table, without backticks."""
    rows = [line for line in cli_reference().splitlines() if line.startswith("| `monitor ")]
    return [re.split(r"(?<!\\)\|", row)[1].strip().strip("`") for row in rows]


def mentions(text: str, option: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text) is not None


def examples(command: Any) -> list[str]:
    return re.findall(r"^\s*Example:\s*(.+?)\s*$", command.help or "", re.M)


def test_the_walk_finds_every_command() -> None:
    """The walk itself: a command or option it failed to see would never be checked."""
    known = set(
        "init,check,db,db upgrade,milestones,show,complete,status,history,poll,feeds,matches,review,rematch,"
        "summary,agreements,amend,undo".split(",")
    )
    assert known <= set(ids(SUBCOMMANDS))
    complete = dict(SUBCOMMANDS)[("complete",)]
    assert {"--on", "--evidence", "--note", "--by"} <= set(long_options(complete))
    assert long_options(ROOT) == ["--home", "--install-completion", "--show-completion", "--version"]
    assert not mentions("`monitor poll [--feed ID]... [--json]`", "--fe")


def test_a_shared_option_is_one_declaration() -> None:
    """An option several commands take is declared once (monitor/cli/options.py): the same help and default in
    every command, never a copy that drifts."""
    seen: dict[str, set[tuple[str, object]]] = {}
    users: dict[str, list[str]] = {}
    for path, command in SUBCOMMANDS:
        for p in command.params:
            for opt in p.opts if p.param_type_name == "option" else ():
                if opt.startswith("--") and opt not in HELP_OPTIONS | LENT:
                    seen.setdefault(opt, set()).add((p.help or "", p.default))
                    users.setdefault(opt, []).append(" ".join(path))
    assert {opt: sorted(users[opt]) for opt in ("--json", "--by", "--force")} == {
        "--json": [
            "agreements",
            "digest",
            "feeds",
            "feeds test",
            "history",
            "items",
            "matches",
            "milestones",
            "poll",
            "rematch",
            "run",
            "show",
            "subscribers list",
            "summary",
        ],
        "--by": ["amend", "complete", "review", "status", "undo"],
        "--force": ["amend", "complete", "review", "status"],
    }
    # SPEC §6 names two different options --status: `milestones --status S` filters, `run --status` is a flag.
    assert users["--status"] == ["milestones", "run"]
    # `--country` filters listings (milestones) but says what a source covers in `feeds add`: two meanings, two helps.
    assert {
        opt: found for opt, found in seen.items() if len(found) > 1 and opt != "--status" and opt not in MEANS_TWO_THINGS
    } == {}


@pytest.mark.parametrize(("path", "command"), SUBCOMMANDS, ids=ids(SUBCOMMANDS))
def test_command_and_options_in_readme(path: tuple[str, ...], command: Any) -> None:
    name = "monitor " + " ".join(path)
    rows = [s for s in synopses() if s == name or s.startswith(name + " ")]
    assert rows, f"README.md '## CLI reference' has no row for `{name}`"
    missing = [opt for opt in long_options(command, lent=False) if not any(mentions(row, opt) for row in rows)]
    assert missing == [], f"README.md '## CLI reference' row for `{name}` does not mention {missing}"


@pytest.mark.parametrize(("path", "command"), SUBCOMMANDS, ids=ids(SUBCOMMANDS))
def test_every_command_takes_the_global_home(path: tuple[str, ...], command: Any) -> None:
    """`--home` works after the command too (`monitor milestones --home h`): one option, lent by the root group,
    with the root's help; not to `init` (its PATH is the home it makes) nor `demo` (it makes its own), where it
    would be silently ignored."""
    homes = [p for p in command.params if "--home" in getattr(p, "opts", ())]
    if path[0] in ("init", "demo"):
        assert homes == []
        return
    [home] = homes
    [root_home] = [p for p in ROOT.params if "--home" in getattr(p, "opts", ())]
    assert (home.help, home.expose_value) == (root_home.help, False)


def test_global_options_in_readme() -> None:
    section = cli_reference()
    missing = [opt for opt in long_options(ROOT) if not mentions(section, opt)]
    assert missing == [], f"README.md '## CLI reference' does not mention the global options {missing}"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=ids(COMMANDS))
def test_help_has_a_working_example(path: tuple[str, ...], command: Any) -> None:
    """The example starts with `monitor ` (after any VAR=value environment settings, as `db upgrade` shows for
    PostgreSQL) and names this command; `--help` appended, the real parser accepts it and shows this command's
    usage, so an example with a misspelt option or command fails here."""
    found = examples(command)
    assert found, f"help of `monitor {' '.join(path)}` has no 'Example:' line"
    for example in found:
        words = shlex.split(example)
        while words and ENV_ASSIGNMENT.match(words[0]):
            words.pop(0)
        assert words[:1] == ["monitor"], f"example does not start with 'monitor ': {example!r}"
        r = CliRunner().invoke(app, [*words[1:], "--help"])
        assert r.exit_code == 0, f"example {example!r} does not parse: {r.output}"
        usage = re.search(r"Usage: monitor((?: [a-z][a-z-]*)*)", r.output)
        assert usage, r.output
        shown = tuple(usage.group(1).split())
        assert shown[: len(path)] == path, f"example {example!r} runs `monitor {' '.join(shown)}`"
