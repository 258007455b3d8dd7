"""The milestones as data files: CSV and JSON (one record per milestone: the `--json` milestone keys of
`monitor milestones`, plus the agreement's title and the newest evidence), and due dates as iCalendar.
Pure functions of the ReportState; the same bytes go to `monitor export` and into the published site.

CSV cells are neutralised for spreadsheets: a text cell that starts with = + - @ (or a tab or carriage return)
would be read as a formula by Excel, LibreOffice and Google Sheets, so it gets a leading apostrophe, which
spreadsheets show as text and do not display. Numbers (days_left) are never touched; JSON is data for programs
and keeps every value exactly."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from ..views import json_document, to_json
from ..wording import days_phrase
from . import content
from .state import ReportState
from .text import safe_url, shown

FORMATS = ("csv", "json", "ics")
CALENDAR_NAME = "Implementation Monitor: deadlines"
PRODID = "-//monitor//Implementation Monitor//EN"
UID_DOMAIN = "monitor"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# the header of a CSV without milestones (a config that tracks none): the SPEC's milestone keys
EMPTY_HEADER = ("id", "agreement", "agreement_title", "title", "status", "due", "deadline_state", "completed_on",
                "evidence_url", "last_evidence", "last_evidence_title", "last_evidence_url", "countries")


def records(state: ReportState) -> list[dict[str, Any]]:
    """One record per milestone, in config order: the milestone's `--json` keys, `agreement_title` after
    `agreement`, and after `last_evidence` the newest evidence not dismissed (`last_evidence_title`,
    `last_evidence_url`: an http(s) URL or null)."""
    out = []
    for v in state.views:
        latest = state.evidence.get(v.id, ())
        doc = to_json(v)
        record: dict[str, Any] = {}
        for key, value in doc.items():
            record[key] = value
            if key == "agreement":
                record["agreement_title"] = v.agreement_title
            if key == "last_evidence":
                record["last_evidence_title"] = latest[0].item_title if latest else None
                record["last_evidence_url"] = safe_url(latest[0].item_url) if latest else None
        out.append(record)
    return out


def json_text(state: ReportState) -> str:
    """A JSON list of the records; non-ASCII kept, every control character escaped (json does C0 itself)."""
    return json_document(records(state)) + "\n"


def cell(value: Any) -> str | int | float:
    """A CSV cell: lists joined by spaces, booleans as true/false, text neutralised (see the module's doc)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple):
        value = " ".join(str(v) for v in value)
    text = shown(str(value))
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_text(state: ReportState) -> str:
    """RFC 4180 CSV (CRLF line ends, quoted where needed) with a header row of the record keys."""
    rows = records(state)
    buffer = io.StringIO(newline="")
    keys = list(rows[0]) if rows else list(EMPTY_HEADER)
    writer = csv.writer(buffer)
    writer.writerow(keys)
    for r in rows:
        writer.writerow([cell(r[k]) for k in keys])
    return buffer.getvalue()


# ---------------------------------------------------------------- iCalendar


def uid(milestone_id: str) -> str:
    """A milestone's event id: the same in every export, so a calendar that imports the file again updates the
    event instead of adding another."""
    return f"{milestone_id}@{UID_DOMAIN}"


def sequence(state: ReportState, milestone_id: str) -> tuple[int, dt.datetime | None]:
    """(SEQUENCE, LAST-MODIFIED) of a milestone's event: the status changes of the milestone and of every
    milestone its due date counts from. Each one can move the date or change the summary, and history only
    grows, so the number only goes up."""
    chain, current = {milestone_id}, milestone_id
    by_id = {m.id: m for m in state.milestones}
    while (upstream := content.depends_on(by_id[current])) is not None and upstream not in chain:
        chain.add(upstream)
        current = upstream
    changes = [h for h in state.history if h.milestone in chain]
    return len(changes), max((h.recorded_at for h in changes), default=None)


def ics_bytes(state: ReportState) -> bytes:
    """One all-day event per milestone with a known due date: UID `<id>@monitor`, the status in the summary,
    the evidence and the milestone's page (when digest.base_url says where the report lives) in the
    description; DTSTAMP is the app clock's now."""
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", CALENDAR_NAME)
    cal.add("x-wr-caldesc", "Due dates of tracked milestones, with their status")
    for v in state.views:
        if v.due is None:
            continue
        seq, modified = sequence(state, v.id)
        latest = state.evidence.get(v.id, ())
        evidence = safe_url(v.evidence_url) or (safe_url(latest[0].item_url) if latest else None)
        page = content.absolute(state.base_url, content.page_path(v.id))
        lines = [
            v.agreement_title,
            f"{v.id}: {content.status_phrase(v)}" + (" (soft target)" if v.soft else ""),
        ]
        if v.due_rule:
            lines.append(f"Due: {v.due_rule}")
        if v.days_left is not None:
            lines.append(f"As of {state.today.isoformat()}: {days_phrase(v.days_left)}")
        if evidence:
            lines.append(f"Evidence: {evidence}")
        if page:
            lines.append(f"Details: {page}")
        event = icalendar.Event()
        event.add("uid", uid(v.id))
        event.add("dtstamp", state.now)
        if modified is not None:
            event.add("last-modified", modified)
        event.add("sequence", seq)
        event.add("dtstart", v.due)
        event.add("dtend", v.due + dt.timedelta(days=1))
        event.add("transp", "TRANSPARENT")  # a deadline, not a meeting: it never makes anyone busy
        event.add("summary", shown(f"{v.title} [{content.status_phrase(v)}]"))
        event.add("description", shown("\n".join(lines)))
        event.add("categories", [shown(v.agreement)])
        if page:
            event.add("url", page)
        cal.add_component(event)
    return bytes(cal.to_ical())


def export_bytes(state: ReportState, fmt: str) -> bytes:
    """The file of format `fmt` (one of FORMATS), as bytes (UTF-8)."""
    if fmt == "csv":
        return csv_text(state).encode("utf-8")
    if fmt == "json":
        return json_text(state).encode("utf-8")
    if fmt == "ics":
        return ics_bytes(state)
    raise ValueError(f"unknown export format {fmt!r}")
