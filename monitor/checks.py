"""`monitor check`: everything that can be wrong with a home, found at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import config as config_mod
from .errors import MonitorError
from .home import Home
from .resources import default_templates_dir


@dataclass
class CheckReport:
    config_problems: list[str] = field(default_factory=list)  # bad input: exit 2
    operational_problems: list[str] = field(default_factory=list)  # could not be verified: exit 1

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


def check(home: Home, environ: Mapping[str, str] | None = None) -> CheckReport:
    from .storage import migrate
    from .storage.engine import open_database, prepare_database
    from .storage.milestones import subscriber_count

    report = CheckReport()
    cfg, found = config_mod.problems(home, environ)
    report.config_problems.extend(found)
    report.config_problems.extend(template_problems(home))
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
        if rev is not None:
            subscribers = subscriber_count(db)
            smtp = cfg.settings.smtp
            if subscribers and not (smtp.host and smtp.from_):
                report.config_problems.append(
                    f"config/monitor.yaml: smtp: {subscribers} subscriber(s) but no smtp.host / smtp.from"
                )
    except MonitorError as e:
        report.operational_problems.append(str(e))
    finally:
        db.dispose()
    return report
