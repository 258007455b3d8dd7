"""`monitor demo`: the offline end-to-end run on bundled, illustrative sample sources."""

from __future__ import annotations

from pathlib import Path

import typer

from .context import guarded, stop_on_sigterm
from .options import Out


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


@guarded
@stop_on_sigterm()
def demo(out: Out = None) -> None:
    """Run the whole pipeline offline on illustrative sample sources: no network, no setup.

    Makes a demo home in a new temporary directory (the shipped milestones; three sample sources served from
    127.0.0.1), polls and matches them, prints the milestones with the evidence found and what it suggests, and
    writes the weekly digest preview to --out (created if missing; default ./demo-out). Today is pinned to
    2026-04-20; MONITOR_* settings are ignored.

    Example: monitor demo --out demo-out
    """
    import tempfile

    from rich.text import Text

    from ..demo import SIGNAL_ORDER, evidence_phrase, remove_home, run_demo
    from ..wording import days_phrase, plural
    from .output import STATE_STYLE, console, fmt, table

    home = Path(tempfile.mkdtemp(prefix="monitor-demo-"))
    try:
        report = run_demo(out if out is not None else Path("demo-out"), home)
    except BaseException:
        remove_home(home)
        raise
    show = console()
    show.print(
        f"monitor demo: {report.feeds} illustrative sample sources (written for the project, not real news), "
        f"today pinned to {report.today.isoformat()}"
    )
    show.print(
        f"polled {plural(report.feeds, 'sample source')} on {report.server}: {plural(report.new_items, 'new item')}, "
        f"{plural(report.new_matches, 'new match', 'new matches')}, {plural(len(report.errors), 'error')}"
    )
    for line in report.errors:
        show.print(f"error: {line}")
    t = table("milestone", "due", "deadline", "evidence", title="the shipped milestones and the evidence found")
    for column in t.columns[:2]:  # ids and dates are what people copy: never folded
        column.no_wrap = True
    for row in report.rows:
        v = row.milestone
        soft = " (soft)" if v.soft and v.deadline_state == "overdue" else ""
        when = days_phrase(v.days_left) if v.deadline_state in ("upcoming", "due_soon", "overdue") else v.deadline_state
        t.add_row(
            v.id,
            fmt(v.due),
            Text(when + soft, style=STATE_STYLE.get(v.deadline_state, "")),
            evidence_phrase(row.counts) or "—",
        )
    show.print(t)
    with_evidence = [r for r in report.rows if r.total]
    show.print(
        f"{plural(len(with_evidence), 'milestone')} with evidence "
        f"({', '.join(plural(sum(r.counts[s] for r in report.rows), s + ' signal') for s in SIGNAL_ORDER[:3])}). "
        "What it suggests:"
    )
    for row in report.rows:
        if row.total or row.milestone.deadline_state == "overdue":
            show.print(f"  {row.milestone.id}: {row.suggestion}")
    show.print(f"The demo home is kept at {report.home}: run those commands there with --home {report.home}")
    show.print(
        "  (its sources now read the sample files in it; add MONITOR_NOW=2026-04-20T09:00:00Z to see today as the "
        "demo did)"
    )
    if not report.preview.files:
        show.print(f"digest preview: nothing to preview (no digest was due); {report.out} is empty")
        return
    show.print(f"the weekly digest a reader following everything would get, written to {report.out}:")
    for path in report.preview.files:
        show.print(f"  {path}")
    first_html = next((p for p in report.preview.files if p.suffix == ".html"), None)
    if first_html is not None:
        show.print(f"open {first_html} in a browser (the .eml opens in a mail client, the .txt is the plain part)")
