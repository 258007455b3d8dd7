"""The published status report, the data exports and the change feed: read-only over state.

    from monitor.report import write_report
    result = write_report(app, Path("/srv/www/monitor"))   # index.html, milestones/<id>.html, changes.xml,
                                                            # calendar.ics, milestones.csv, milestones.json

state.py reads (through tracking and storage, the views the CLI shows), content.py / charts.py / exports.py
decide what is shown (pure), site.py renders the templates and publishes the files."""

from __future__ import annotations

from pathlib import Path

from ..app import App
from ..errors import InputError
from .content import CHANGES_IN_FEED
from .exports import FORMATS, export_bytes
from .site import ReportResult, environment, publish, render_site, write_atomic
from .state import read_state

__all__ = ["FORMATS", "ReportResult", "export", "write_export", "write_report"]


def write_report(app: App, out_dir: Path) -> ReportResult:
    """Render the whole site from the state now and publish it into `out_dir` (created when missing). Each file
    is replaced atomically, milestone pages first and index.html last; pages a previous run wrote for milestones
    no longer tracked are removed. Raises ConfigError for a broken template override, MonitorError when the
    directory cannot be written."""
    state = read_state(app)
    files = render_site(state, environment(app.config.home))
    placed, removed = publish(out_dir, files)
    return ReportResult(
        out_dir=out_dir,
        files=placed,
        removed=removed,
        agreements=len({v.agreement for v in state.views}),
        milestones=len(state.views),
        events=sum(1 for v in state.views if v.due is not None),
        changes=min(len(state.history), CHANGES_IN_FEED),
    )


def export(app: App, fmt: str) -> bytes:
    """The milestones as `fmt` (csv, json or ics), as the published site has them."""
    if fmt not in FORMATS:
        raise InputError(f"--format: unknown format {fmt!r} (one of: {', '.join(FORMATS)})")
    return export_bytes(read_state(app, evidence_limit=1, with_trends=False), fmt)


def write_export(path: Path, data: bytes) -> None:
    """Write an export to `path`, whole or not at all."""
    write_atomic(path, data)
