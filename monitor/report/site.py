"""The report's edge: Jinja2 templates (a home's templates/ overriding the shipped ones) render the content, and
the files are published so that a host serving the directory never serves a half-written file.

Templates autoescape everything and run with StrictUndefined; every value printed also goes through
text.shown (control and bidi characters made visible). The one stylesheet and script are inlined and allowed by
the pages' Content-Security-Policy by their SHA-256, so no other script or style can run, and nothing is
fetched from anywhere (`default-src 'none'`)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .. import __version__
from ..errors import ConfigError, MonitorError
from ..files import replace_file
from ..home import Home
from ..resources import default_templates_dir
from ..wording import days_phrase, plural
from . import content, exports
from .state import ReportState
from .text import shown

MANIFEST = ".monitor-report"  # the files the last run wrote: only those are ever removed from the directory


def _finalize(value: Any) -> Any:
    """Every `{{ value }}`: text made safe to show (then autoescaped), None printed as nothing."""
    if value is None:
        return ""
    if isinstance(value, str) and not isinstance(value, Markup):
        return shown(value)
    return value


def atom_time(when: dt.datetime) -> str:
    """RFC 3339 in UTC, as Atom wants it."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def environment(home: Home) -> jinja2.Environment:
    loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(str(home.templates_dir)), jinja2.FileSystemLoader(str(default_templates_dir()))]
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(plural=plural, days_phrase=days_phrase, atom_time=atom_time, version=__version__)
    return env


def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def _asset(env: jinja2.Environment, name: str) -> str:
    """A static file beside the templates (the stylesheet, the script), as text."""
    try:
        source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
    except jinja2.TemplateNotFound as e:
        raise ConfigError(f"templates: {name} not found") from e
    return source


def render_site(state: ReportState, env: jinja2.Environment) -> dict[str, bytes]:
    """Every file of the site by its path under the site's root: pure, given the templates."""
    css, js = _asset(env, "report/report.css"), _asset(env, "report/report.js")
    csp = (
        f"default-src 'none'; style-src {_digest(css)}; script-src {_digest(js)}; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )
    common = {"css": Markup(css), "js": Markup(js), "csp": csp}
    files: dict[str, bytes] = {}
    index = content.index(state)
    for v in state.views:
        page = content.milestone_page(state, v.id)
        files[content.page_path(v.id)] = _render(
            env, "report/milestone.html", {**common, "page": page, "root": "../", "generated": page.generated}
        )
    files["calendar.ics"] = exports.export_bytes(state, "ics")
    files["milestones.csv"] = exports.export_bytes(state, "csv")
    files["milestones.json"] = exports.export_bytes(state, "json")
    files["changes.xml"] = _render(env, "report/changes.xml", {"feed": content.change_feed(state)})
    files["index.html"] = _render(
        env, "report/index.html", {**common, "page": index, "root": "", "generated": index.generated}
    )
    return files


def _render(env: jinja2.Environment, name: str, context: Mapping[str, Any]) -> bytes:
    try:
        return env.get_template(name).render(context).encode("utf-8")
    except jinja2.TemplateSyntaxError as e:
        where = e.filename or name
        raise ConfigError(f"templates: {where}: line {e.lineno}: template syntax error: {e.message}") from e
    except jinja2.TemplateNotFound as e:
        raise ConfigError(f"templates: {e.name} not found (used by {name})") from e
    except jinja2.UndefinedError as e:
        raise ConfigError(f"templates: {name}: {e.message}") from e


# ---------------------------------------------------------------- publishing


@dataclass(frozen=True)
class ReportResult:
    """What `write_report` wrote."""

    out_dir: Path
    files: tuple[str, ...]  # paths under out_dir, in the order they were put in place (index.html last)
    removed: tuple[str, ...]  # pages of an earlier run that are gone now (a milestone removed from config)
    agreements: int
    milestones: int
    events: int  # in calendar.ics: milestones with a known due date
    changes: int  # entries in changes.xml


def _order(path: str) -> tuple[int, str]:
    """Pages first, then the data files and the feed, index.html last: whoever follows a link from the new index
    finds the page it links to."""
    return (0 if "/" in path else 2 if path == "index.html" else 1, path)


def _previous(out_dir: Path) -> set[str]:
    try:
        listed = (out_dir / MANIFEST).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return set()
    # only plain relative paths of the kind this module writes: a tampered manifest cannot point elsewhere
    return {p for p in listed if p and not p.startswith(("/", ".")) and ".." not in p.split("/") and "\\" not in p}


def publish(out_dir: Path, files: Mapping[str, bytes]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Put `files` into `out_dir`: each is written whole into a staging folder inside `out_dir` (so on the
    same file system), then renamed into place, an atomic replacement; pages first and index.html last. Files
    an earlier run wrote that are not in `files` are removed; nothing else in the directory is touched.
    Returns (placed, removed). Raises MonitorError naming the directory when it cannot be written."""
    order = sorted(files, key=_order)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        before = _previous(out_dir)
        staging = Path(tempfile.mkdtemp(prefix=".monitor-report-", dir=out_dir))
        try:
            for rel in order:
                target = staging / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "wb") as f:
                    f.write(files[rel])
                    f.flush()
                    os.fsync(f.fileno())
            (staging / MANIFEST).write_text("\n".join(order) + "\n", encoding="utf-8")
            for rel in order:
                (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / rel, out_dir / rel)
            os.replace(staging / MANIFEST, out_dir / MANIFEST)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        removed = []
        for rel in sorted(before - set(files)):
            stale = out_dir / rel
            if stale.is_file():
                stale.unlink()
                removed.append(rel)
    except OSError as e:
        raise MonitorError(f"cannot write the report to {out_dir}: {e.strerror or e}") from e
    return tuple(order), tuple(removed)


def write_atomic(path: Path, data: bytes) -> None:
    """Write one file whole or not at all (files.replace_file), with the usual permissions (0666 less the
    umask), as a plain open() would give."""
    try:
        replace_file(path, data)
    except OSError as e:
        raise MonitorError(f"cannot write {path}: {e.strerror or e}") from e
