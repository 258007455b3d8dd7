"""feeds.yaml and milestones.yaml: the frozen definitions (types), how `due:` is read (due), the pydantic file
models (models), feed URL safety (urls), and building plus cross-checks (assemble).

Pure: no database, network or CLI. Every problem is one line naming the file, the field path and the value.
`from monitor.definitions import X` works for every public name of those modules.
"""

from __future__ import annotations

from ..match.rules import MatchRule
from .assemble import build
from .due import MAX_DAYS, MAX_MONTHS, parse_date, parse_due
from .models import (
    ID_PATTERN,
    SIGNALS,
    AgreementIn,
    FeedIn,
    FeedsFile,
    MatchIn,
    MilestoneIn,
    MilestonesFile,
    SelectIn,
    Signal,
)
from .types import AgreementDef, Definitions, DueRule, FeedDef, MilestoneDef, SelectDef
from .urls import URL_RULE, is_local, url_problem

__all__ = [
    "ID_PATTERN",
    "MAX_DAYS",
    "MAX_MONTHS",
    "SIGNALS",
    "URL_RULE",
    "AgreementDef",
    "AgreementIn",
    "Definitions",
    "DueRule",
    "FeedDef",
    "FeedIn",
    "FeedsFile",
    "MatchIn",
    "MatchRule",
    "MilestoneDef",
    "MilestoneIn",
    "MilestonesFile",
    "SelectDef",
    "SelectIn",
    "Signal",
    "build",
    "is_local",
    "parse_date",
    "parse_due",
    "url_problem",
]
