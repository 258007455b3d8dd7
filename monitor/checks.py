"""`monitor check`: everything that can be wrong with a home, found at once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import config as config_mod
from .errors import ConfigError, MonitorError
from .home import Home
from .resources import default_templates_dir
from .settings import Smtp


@dataclass
class CheckReport:
    config_problems: list[str] = field(default_factory=list)  # bad input: exit 2
    operational_problems: list[str] = field(default_factory=list)  # could not be verified: exit 1
    notes: list[str] = field(default_factory=list)  # what was verified beyond the files (check --smtp)

    @property
    def ok(self) -> bool:
        return not (self.config_problems or self.operational_problems)

    @property
    def exit_code(self) -> int:
        return 2 if self.config_problems else 1 if self.operational_problems else 0


def template_problems(home: Home) -> list[str]:
    import jinja2

    out = []
    env = jinja2.Environment()
    for base, label in ((default_templates_dir(), "shipped templates"), (home.templates_dir, "templates")):
        if not base.is_dir():
            continue
        for path in sorted(Path(base).rglob("*")):
            if path.suffix not in (".html", ".txt", ".j2", ".xml", ".eml") or not path.is_file():
                continue
            rel = f"{label}/{path.relative_to(base)}"
            try:
                env.parse(path.read_text(encoding="utf-8"))
            except jinja2.TemplateSyntaxError as e:
                out.append(f"{rel}: line {e.lineno}: template syntax error: {e.message}")
            except (OSError, UnicodeDecodeError) as e:
                out.append(f"{rel}: cannot read: {e}")
    return out


def digest_template_problems(home: Home) -> list[str]:
    """Render the digest templates (the home's over the shipped ones) with a sample digest that has every section,
    with and without report links: a template naming something a digest does not have is found here."""
    from .digest.content import DigestOptions
    from .digest.render import render
    from .digest.sample import sample_digest

    found: list[str] = []
    for base_url in ("https://example.org/report", None):
        try:
            render(sample_digest(DigestOptions(base_url=base_url)), home.templates_dir, default_templates_dir())
        except ConfigError as e:
            found.extend(p for p in e.problems if p not in found)
    return found


def smtp_problems(smtp: Smtp, environ: Mapping[str, str]) -> list[str]:
    """What keeps digests from being sent, as config lines: no host, a From that is no address, a username whose
    password variable is not set."""
    from .digest.message import sender_address
    from .digest.send import password_for

    out = []
    if not smtp.host:
        out.append("config/monitor.yaml: smtp.host: empty, but there are digest subscribers")
    for step in (lambda: sender_address(smtp.from_), lambda: password_for(smtp, environ)):
        try:
            step()
        except ConfigError as e:
            out.extend(e.problems)
    return out


def check(home: Home, environ: Mapping[str, str] | None = None, *, try_smtp: bool = False) -> CheckReport:
    """Every problem of the home at once. With subscribers, the SMTP settings are checked too; `try_smtp` also
    connects to the server and logs in (sending nothing)."""
    from .storage import migrate
    from .storage import subscribers as subscriber_store
    from .storage.engine import open_database, prepare_database

    env = os.environ if environ is None else environ
    report = CheckReport()
    cfg, found = config_mod.problems(home, environ)
    report.config_problems.extend(found)
    syntax = template_problems(home)
    report.config_problems.extend(syntax)
    if not syntax:
        report.config_problems.extend(digest_template_problems(home))
    if cfg is None:
        return report
    try:
        db = open_database(cfg.database_url)
    except MonitorError as e:
        report.config_problems.append(str(e))
        return report
    try:
        prepare_database(db)
        rev, head = migrate.current(db), migrate.head()
        if rev != head and not db.is_sqlite:
            report.operational_problems.append(
                f"database {db.safe_url} is at revision {rev or 'none'}, not {head} (run 'monitor db upgrade')"
            )
        if rev == head and subscriber_store.active_count(db):
            report.config_problems.extend(smtp_problems(cfg.settings.smtp, env))
    except MonitorError as e:
        report.operational_problems.append(str(e))
    finally:
        db.dispose()
    if try_smtp:
        _try_smtp(cfg.settings.smtp, env, report)
    return report


def _try_smtp(smtp: Smtp, environ: Mapping[str, str], report: CheckReport) -> None:
    """Connect, secure and log in as digests would, sending nothing (check --smtp)."""
    from .digest.send import SmtpError, password_for, probe

    try:
        report.notes.append(probe(smtp, password_for(smtp, environ)))
    except ConfigError as e:
        report.config_problems.extend(p for p in e.problems if p not in report.config_problems)
    except SmtpError as e:
        report.operational_problems.append(f"smtp: {e}")
