"""What each daemon job does: one use case, called in-process, and the totals of its run as one line.

- poll: monitor.poll.poll, the same cycle as `monitor poll` (no subprocess, no start-up cost per run);
- weekly_digest, daily_digest: monitor.digest.send_digests(app, frequency) -> DigestRunReport;
- report (after each poll, when `report.out` is set): monitor.report.write_report(app, path).

The digest and report use cases are imported when their job runs, not before: a daemon starts without them, and
a job whose module is missing or broken fails like any job that raises (logged with its traceback, the daemon
goes on).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..app import App
from ..wording import plural


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
        from ..digest import send_digests  # type: ignore[import-not-found, unused-ignore]

        return digest_result(send_digests(app, frequency))

    run.__name__ = f"{frequency}_digest"
    return run


def digest_result(report: Any) -> JobResult:
    """A DigestRunReport as a job result: its counts (`failed` among them) and the subscribers that failed."""
    counts = _counts(report)
    failed = int(report.failed)
    details = tuple(_failure(r) for r in _results(report) if _failed(r))
    summary = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()) or "done"
    return JobResult(summary, failed, details, counts)


def report_job(app: App) -> JobResult:
    from ..report import write_report  # type: ignore[import-not-found, unused-ignore]

    out = report_dir(app)
    if out is None:
        return JobResult("report.out is not set: nothing written")
    write_report(app, out)
    return JobResult(f"written to {out}", totals={"out": str(out)})


def report_dir(app: App) -> Path | None:
    """`report.out` as a path; a relative one is taken from the home, as the database file is."""
    out = app.settings.report.out
    if not out:
        return None
    path = Path(out).expanduser()
    return path if path.is_absolute() else app.config.home.path / path


def default_jobs() -> dict[str, Job]:
    return {
        "poll": poll_job,
        "weekly_digest": digest_job("weekly"),
        "daily_digest": digest_job("daily"),
        "report": report_job,
    }


def _counts(report: Any) -> dict[str, int]:
    """The whole-number fields of a report dataclass, in their order (sent, skipped, failed, ...)."""
    if not dataclasses.is_dataclass(report):
        return {"failed": int(report.failed)}
    out = {}
    for f in dataclasses.fields(report):
        value = getattr(report, f.name)
        if isinstance(value, int) and not isinstance(value, bool):
            out[f.name] = value
    return out


def _results(report: Any) -> list[Any]:
    """The per-subscriber results of a report: its first field that is a list or tuple."""
    if dataclasses.is_dataclass(report):
        for f in dataclasses.fields(report):
            value = getattr(report, f.name)
            if isinstance(value, list | tuple):
                return list(value)
    return []


def _failed(result: Any) -> bool:
    state = getattr(result, "state", None) or getattr(result, "outcome", None)
    return bool(getattr(result, "error", None)) or state == "failed"


def _failure(result: Any) -> str:
    who = getattr(result, "email", None) or getattr(result, "subscriber", None) or "?"
    return f"{who}: {getattr(result, 'error', None) or 'failed'}"
