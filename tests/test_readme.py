"""Every command the README shows is run here, so the README cannot go stale.

The convention (README, "For contributors" → "The README is tested"):

- ```console blocks are run, in README order, as one session, like a reader following the README from the top. A
  line starting `$ ` is a command; the lines after it, up to the next command, are output that must appear, in that
  order, among the lines the command printed (`...` inside a line matches any text; a line that is only `...` just
  marks lines left out; a space matches any white space, line ends included, as a long temporary $HOME wraps
  lines where `~` would not). A command exits 0 unless its comment starts `# exit N`. `VAR=value` before a command, and
  `export`, `unset` and `cd`, work as in a shell. `monitor` commands run in-process through the typer app; any other
  command (and a `monitor` command that needs a pipe, a redirection or an expansion) runs in /bin/sh.
- ```yaml blocks must parse. One whose info string says `apply=PATH` is also merged into PATH (relative to the
  current directory, the home) when the session reaches it: the edit the text asks the reader to make by hand
  (mappings merged key by key, lists extended).
- ```sh blocks are commands a test cannot run: installing, systemd, cron, a real PostgreSQL server, the network.
  Every `monitor` command in them must still parse (the real parser accepts it with `--help` appended).
- A block whose info string says `same-as=PATH` must equal that repository file.
- Any other block (```text, ```json ...) and any indented code block must not contain a `monitor` command line:
  a command can only be shown where it is run or parse-checked.

The session runs in a temporary directory: $HOME is a new empty directory (paths under it are shown as `~` in
the README's output), the current directory starts in a copy of the checkout's `monitor/demo/samples/`
(`cp monitor/demo/samples/* ...` works as it does in a checkout), tables are 100 columns wide, `MONITOR_USER` is
`tester`, and a PostgreSQL run (MONITOR_TEST_DATABASE_URL) gets its own schema through MONITOR_DATABASE_URL. No
command reaches the network: `smtp.example.net:587` resolves to a local aiosmtpd server (STARTTLS with a certificate
for that name, trusted through SSL_CERT_FILE; the login of the README's SMTP example), and any other name but
127.0.0.1 and localhost fails the command's check.

To see what the commands print (to update the README's output), run
`README_TRANSCRIPT=/tmp/readme.txt pytest tests/test_readme.py -k session` and read the file.
"""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme
import yaml
from typer.testing import CliRunner

from monitor.cli import app
from tests.conftest import REPO
from tests.smtpserver import SmtpServer, smtp_server

README = REPO / "README.md"
TRANSCRIPT = os.environ.get("README_TRANSCRIPT")
COLUMNS = "100"
SMTP_HOST = ("smtp.example.net", 587)  # the relay of the README's SMTP example
SMTP_LOGIN = {"monitor@example.org": "s3cret-app-password"}  # its login and the password the README exports
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
FENCE = re.compile(r"^(```+)\s*(\S*)(.*)$")
MONITOR_LINE = re.compile(r"^\s*(\$\s+)?([A-Z_][A-Z0-9_]*=\S*\s+)*(sudo\s+(-u\s+\S+\s+)?)?(\S*/)?monitor(\s|$)")
SHELL_OPERATOR = re.compile(r"[|&;<>()`$*]")


# ---------------------------------------------------------------- reading the README


@dataclass(frozen=True)
class Block:
    line: int  # the README line of the opening fence (1-based)
    lang: str
    attrs: dict[str, str]
    body: tuple[str, ...]
    chapter: str

    def where(self) -> str:
        return f"README.md:{self.line} ({self.chapter})"


@dataclass(frozen=True)
class Command:
    line: int
    text: str  # as written after "$ ", comment removed
    exit: int
    output: tuple[str, ...]


def read_blocks(text: str) -> list[Block]:
    found: list[Block] = []
    chapter = "top"
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            chapter = line[3:].strip()
        m = FENCE.match(line)
        if m:
            ticks, lang, rest = m.groups()
            attrs = dict(word.split("=", 1) for word in rest.split() if "=" in word)
            start = i
            i += 1
            body: list[str] = []
            while i < len(lines) and not lines[i].startswith(ticks):
                body.append(lines[i])
                i += 1
            assert i < len(lines), f"README.md:{start + 1}: a code block is never closed"
            found.append(Block(start + 1, lang, attrs, tuple(body), chapter))
        i += 1
    return found


def indented_code(text: str) -> list[tuple[int, str]]:
    """(line number, line) of indented code blocks: lines indented by 4 or more outside fences, after a blank line
    or another such line."""
    out: list[tuple[int, str]] = []
    in_fence = False
    previous_blank = in_code = False
    for n, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            in_fence = not in_fence
            previous_blank = in_code = False
            continue
        if in_fence:
            continue
        if line.startswith("    ") and line.strip() and (previous_blank or in_code):
            in_code = True
            out.append((n, line))
        elif line.strip():
            in_code = False
        previous_blank = not line.strip()
    return out


def split_comment(line: str) -> tuple[str, str]:
    """The command and its comment: the first ` #` outside quotes starts the comment."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1 :].strip()
    return line.rstrip(), ""


def console_commands(block: Block) -> list[Command]:
    commands: list[Command] = []
    current: tuple[int, str, int] | None = None
    output: list[str] = []
    for offset, line in enumerate(block.body, 1):
        if line.startswith("$ "):
            if current:
                commands.append(Command(*current[:2], current[2], tuple(output)))
            text, comment = split_comment(line[2:])
            status = re.match(r"exit (\d+)\b", comment)
            current = (block.line + offset, text, int(status.group(1)) if status else 0)
            output = []
        elif current is None:
            assert not line.strip(), f"README.md:{block.line + offset}: output before any `$ ` command"
        else:
            output.append(line)
    if current:
        commands.append(Command(*current[:2], current[2], tuple(output)))
    return commands


BLOCKS = read_blocks(README.read_text(encoding="utf-8"))
CONSOLE = [b for b in BLOCKS if b.lang == "console"]
SH = [b for b in BLOCKS if b.lang in ("sh", "shell", "bash") and "same-as" not in b.attrs]


def sh_monitor_commands(block: Block) -> Iterator[tuple[int, list[str]]]:
    """(README line, words after `monitor`) of every `monitor` command in a ```sh block: each part of a line
    split at `&&`, `||`, `;` and `|`, after VAR=value settings and `sudo -u USER`."""
    for offset, raw in enumerate(block.body, 1):
        command, _ = split_comment(raw)
        for part in re.split(r"&&|\|\||;|\|", command):
            try:
                words = shlex.split(part)
            except ValueError:
                continue
            while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
                words.pop(0)
            if words[:1] == ["sudo"]:
                words = words[3:] if words[1:2] == ["-u"] else words[1:]
            if words and (words[0] == "monitor" or words[0].endswith("/bin/monitor")):
                yield block.line + offset, words[1:]


# ---------------------------------------------------------------- the convention itself


def test_the_readme_is_read() -> None:
    """A reader that found nothing would pass every test below."""
    commands = [c for b in CONSOLE for c in console_commands(b)]
    texts = [c.text for c in commands]
    assert len(commands) >= 40, texts
    for expected in (
        "monitor init",
        "monitor check",
        "monitor feeds add",
        "monitor poll",
        "monitor review",
        "monitor amend",
        "monitor digest --preview",
        "monitor report",
        "monitor subscribers add",
    ):
        assert any(t.startswith(expected) for t in texts), f"no `{expected}` command is run"
    assert any(c.exit == 2 for c in commands) and any(c.output for c in commands)
    assert any("apply" in b.attrs for b in BLOCKS if b.lang == "yaml")
    assert sum(1 for b in SH for _ in sh_monitor_commands(b)) >= 5
    assert split_comment('monitor review 3 --note "a # b"  # exit 2: no') == (
        'monitor review 3 --note "a # b"',
        "exit 2: no",
    )
    assert MONITOR_LINE.match("$ MONITOR_X=1 monitor poll") and MONITOR_LINE.match("sudo -u m /opt/m/bin/monitor run")
    assert not MONITOR_LINE.match("2026-12-01T06:00:00Z monitor run: started")


def test_no_command_outside_the_blocks_that_run_or_check_it() -> None:
    strays = [
        f"README.md:{b.line + i} in a ```{b.lang or '(no language)'} block: {line.strip()}"
        for b in BLOCKS
        if b.lang not in ("console", "sh", "shell", "bash") and "same-as" not in b.attrs
        for i, line in enumerate(b.body, 1)
        if MONITOR_LINE.match(line)
    ]
    strays += [
        f"README.md:{n} in an indented code block: {line.strip()}"
        for n, line in indented_code(README.read_text(encoding="utf-8"))
        if MONITOR_LINE.match(line)
    ]
    assert strays == [], "commands only go in ```console (run) or ```sh (parse-checked) blocks:\n" + "\n".join(strays)


@pytest.mark.parametrize("block", SH, ids=[b.where() for b in SH])
def test_commands_that_cannot_run_here_still_parse(block: Block) -> None:
    for line, args in sh_monitor_commands(block):
        r = CliRunner().invoke(app, [*args, "--help"])
        assert r.exit_code == 0, f"README.md:{line}: `monitor {shlex.join(args)}` does not parse:\n{r.output}"
        usage = re.search(r"Usage: monitor((?: [a-z][a-z-]*)*)", r.output)
        assert usage, r.output
        words = [a for a in args if not a.startswith("-")]
        path = usage.group(1).split()
        assert all(p in words for p in path), (
            f"README.md:{line}: `monitor {shlex.join(args)}` runs `monitor {' '.join(path)}`"
        )


YAML = [b for b in BLOCKS if b.lang in ("yaml", "yml")]


@pytest.mark.parametrize("block", YAML, ids=[b.where() for b in YAML])
def test_yaml_blocks_parse(block: Block) -> None:
    yaml.safe_load("\n".join(block.body))


SAME_AS = [b for b in BLOCKS if "same-as" in b.attrs]


@pytest.mark.parametrize("block", SAME_AS, ids=[b.where() for b in SAME_AS])
def test_copies_of_repository_files_are_the_files(block: Block) -> None:
    path = REPO / block.attrs["same-as"]
    assert list(block.body) == path.read_text(encoding="utf-8").splitlines(), (
        f"{block.where()} is no longer {block.attrs['same-as']}: copy the file into it again"
    )


# ---------------------------------------------------------------- the session


def merge(into: Any, snippet: Any) -> Any:
    """The snippet's mappings merged into `into` key by key, its lists appended."""
    if isinstance(into, dict) and isinstance(snippet, dict):
        for key, value in snippet.items():
            into[key] = merge(into[key], value) if key in into else value
        return into
    if isinstance(into, list) and isinstance(snippet, list):
        into.extend(snippet)
        return into
    return snippet


def apply_yaml(path: Path, snippet: str) -> None:
    """Edit a config file the way a person would: ruamel.yaml keeps its comments and layout."""
    from ruamel.yaml import YAML

    rt = YAML()
    rt.width = 120
    doc = rt.load(path.read_text(encoding="utf-8")) if path.exists() else None
    doc = merge(doc if doc is not None else {}, rt.load(snippet))
    buffer = io.StringIO()
    rt.dump(doc, buffer)
    path.write_text(buffer.getvalue(), encoding="utf-8")


@dataclass
class Session:
    home: Path  # $HOME
    cwd: Path
    env: dict[str, str]
    network: list[str] = field(default_factory=list)  # host names asked for that the test does not serve
    transcript: list[str] = field(default_factory=list)

    def expand(self, word: str) -> str:
        if word == "~" or word.startswith("~/"):
            return str(self.home) + word[1:]
        return word

    def run(self, command: Command) -> tuple[int, str]:
        words = [self.expand(w) for w in shlex.split(command.text)]
        assignments: dict[str, str] = {}
        while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
            name, _, value = words.pop(0).partition("=")
            assignments[name] = value
        if words and words[0] == "cd":
            self.cwd = (self.cwd / words[1]).resolve() if len(words) > 1 else self.home
            assert self.cwd.is_dir(), f"cd {self.cwd}: no such directory"
            return 0, ""
        if words and words[0] in ("export", "unset"):
            for w in words[1:]:
                name, _, value = w.partition("=")
                if words[0] == "export":
                    self.env[name] = self.expand(value)
                else:
                    self.env.pop(name, None)
            return 0, ""
        if words and words[0] == "monitor" and not SHELL_OPERATOR.search(command.text.replace("$ ", "", 1)):
            return self.in_process(words[1:], assignments)
        return self.shell(command.text, assignments)

    def in_process(self, args: list[str], assignments: dict[str, str]) -> tuple[int, str]:
        env: dict[str, str | None] = {**self.env, **assignments}
        env.update({k: None for k in os.environ if k.startswith("MONITOR_") and k not in env})
        os.chdir(self.cwd)
        result = CliRunner().invoke(app, args, env=env)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.output

    def shell(self, text: str, assignments: dict[str, str]) -> tuple[int, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
        base["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{base.get('PATH', '')}"
        env = {**base, **self.env, **assignments}
        done = subprocess.run(
            ["/bin/sh", "-c", text], cwd=self.cwd, env=env, capture_output=True, text=True, timeout=120
        )
        return done.returncode, done.stdout + done.stderr

    def shown(self, output: str) -> list[str]:
        return [line.rstrip() for line in output.replace(str(self.home), "~").splitlines()]


def expected_pattern(line: str) -> re.Pattern[str]:
    """An expected output line as a pattern over the whole output: it starts and ends at line ends, `...` is any
    text on a line, and a space is any run of white space, line ends included, so a line that a narrower home
    path wraps differently (the session's $HOME is longer than `~`) still matches."""
    parts = [r"\s+".join(re.escape(w) for w in part.split()) for part in line.strip().split("...")]
    body = "[^\n]*".join(parts)
    return re.compile(rf"^[ \t]*{body}[ \t]*$", re.M)


def missing_output(expected: tuple[str, ...], actual: list[str]) -> str | None:
    """The first expected line not found, in order, in the actual output; None when all are there."""
    text = "\n".join(actual)
    at = 0
    for line in expected:
        if line.strip() in ("", "..."):
            continue
        found = expected_pattern(line).search(text, at)
        if found is None:
            return line
        at = found.end()
    return None


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[tuple[SmtpServer, Path]]:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(SMTP_HOST[0]).configure_cert(context)
    bundle = tmp_path / "smtp-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    with smtp_server(starttls=context, users=SMTP_LOGIN) as server:
        yield server, bundle


def test_session(
    tmp_path: Path,
    database_url: str | None,
    smtp: tuple[SmtpServer, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every ```console block, in README order, in one session (see the module's docstring)."""
    server, ca_bundle = smtp
    home = tmp_path / "home"
    checkout = tmp_path / "checkout"
    home.mkdir()
    shutil.copytree(REPO / "monitor" / "demo" / "samples", checkout / "monitor" / "demo" / "samples")
    env = {
        "HOME": str(home),
        "COLUMNS": COLUMNS,
        "MONITOR_NOW": os.environ["MONITOR_NOW"],
        "MONITOR_USER": "tester",
        "SSL_CERT_FILE": str(ca_bundle),
    }
    if database_url:
        env["MONITOR_DATABASE_URL"] = database_url
    session = Session(home, checkout, env)

    real_getaddrinfo = socket.getaddrinfo

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if (name, int(port or 0)) == SMTP_HOST:
            return real_getaddrinfo("127.0.0.1", server.port, *args, **kwargs)
        if name in LOOPBACK:
            return real_getaddrinfo(host, port, *args, **kwargs)
        session.network.append(f"{name}:{port}")
        raise socket.gaierror(socket.EAI_NONAME, f"the README test serves no {name}")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.chdir(checkout)

    ran = 0
    failures: list[str] = []
    try:
        for block in BLOCKS:
            if block.lang in ("yaml", "yml") and "apply" in block.attrs:
                apply_yaml(session.cwd / block.attrs["apply"], "\n".join(block.body))
                session.transcript.append(f"# README.md:{block.line}: applied to {block.attrs['apply']}\n")
                continue
            if block.lang != "console":
                continue
            for command in console_commands(block):
                started = time.perf_counter()
                status, output = session.run(command)
                took = time.perf_counter() - started
                shown = session.shown(output)
                session.transcript.append(
                    f"$ {command.text}    # README.md:{command.line}, exit {status}, {took:.2f} s"
                )
                session.transcript += [*shown, ""]
                where = f"README.md:{command.line} ({block.chapter}): `{command.text}`"
                if session.network:
                    failures.append(f"{where} tried the network: {session.network}")
                    session.network.clear()
                if status != command.exit:
                    failures.append(f"{where} exited {status}, the README says {command.exit}:\n{output}")
                missing = missing_output(command.output, shown)
                if missing is not None:
                    failures.append(f"{where} did not print {missing!r}; it printed:\n" + "\n".join(shown))
                if failures and not TRANSCRIPT:  # stop at the first: what follows depends on it
                    pytest.fail(failures[0], pytrace=False)
                ran += 1
    finally:
        if TRANSCRIPT:
            Path(TRANSCRIPT).write_text("\n".join(session.transcript) + "\n", encoding="utf-8")
    assert failures == [], "\n\n".join(failures)
    assert ran >= 40
