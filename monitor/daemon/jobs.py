"""What each daemon job does: one use case, called in-process, and the totals of its run as one line.

- poll: monitor.poll.poll, the same cycle as `monitor poll` (no subprocess, no start-up cost per run);
- weekly_digest, daily_digest: monitor.digest.send_digests(app, frequency) -> DigestRunReport;
- report (after each poll, when `report.out` is set): monitor.report.write_report(app, path).

The digest and report use cases are imported when their job runs, not before (a daemon's start-up does not pay
for Jinja2 and the mail modules); a job that raises is logged with its traceback and the daemon goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..app import App
from ..wording import plural

if TYPE_CHECKING:
    from ..digest import DigestRunReport


@dataclass(frozen=True)
class JobResult:
    summary: str  # the totals, as the log line and `run --status` show them
    failures: int = 0  # what failed inside a run that completed: feeds in error, digests not sent
    details: tuple[str, ...] = ()  # one line per failure: "fr-ustr: HTTP 503"
    totals: Mapping[str, Any] = field(default_factory=dict)  # kept in job_runs.totals


Job = Callable[[App], JobResult]


def poll_job(app: App) -> JobResult:
    from ..poll import poll

    report = poll(app)
    errors = [f"{o.id}: {o.error}" for o in report.feeds if o.outcome == "error"]
    summary = (
        f"{plural(len(report.feeds), 'feed')}, {plural(report.new_items, 'new item')}, "
        f"{report.updated_items} updated, {plural(report.new_matches, 'new match', 'new matches')}"
    )
    if report.deferred:
        summary += f", {len(report.deferred)} deferred (Retry-After)"
    totals = {
        "poll_run": report.run_id,
        "feeds": len(report.feeds),
        "new_items": report.new_items,
        "updated_items": report.updated_items,
        "new_matches": report.new_matches,
        "errors": report.errors,
        "deferred": len(report.deferred),
    }
    return JobResult(summary, len(errors), tuple(errors), totals)


def digest_job(frequency: str) -> Job:
    def run(app: App) -> JobResult:
        from ..digest import send_digests

        return digest_result(send_digests(app, frequency))

    run.__name__ = f"{frequency}_digest"
    return run


def digest_result(report: DigestRunReport) -> JobResult:
    """A digest run as a job result: its counts, and one line per subscriber whose digest failed."""
    counts = {"sent": report.sent, "empty": report.empty, "skipped": report.skipped, "failed": report.failed}
    details = tuple(f"{r.email}: {r.error or 'failed'}" for r in report.results if r.outcome == "failed")
    summary = (
        f"{plural(report.sent, 'digest')} sent, {report.empty} empty, {report.skipped} not due, "
        f"{report.failed} failed"
    )
    return JobResult(summary, report.failed, details, counts)


def report_job(app: App) -> JobResult:
    from ..report import write_report

    out = app.report_dir()
    if out is None:
        return JobResult("report.out is not set: nothing written")
    written = write_report(app, out)
    return JobResult(f"{plural(len(written.files), 'file')} written to {out}", totals={"out": str(out)})



def default_jobs() -> dict[str, Job]:
    return {
        "poll": poll_job,
        "weekly_digest": digest_job("weekly"),
        "daily_digest": digest_job("daily"),
        "report": report_job,
    }
