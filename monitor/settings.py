"""monitor.yaml: settings, with MONITOR_<SECTION>__<KEY> environment overrides."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import Field, ValidationError, field_validator

from . import __version__
from .validation import Strict, problems


def check_crontab(expr: str) -> str:
    """A crontab expression as the daemon reads it (monitor.schedule.trigger), or ValueError."""
    from .schedule import trigger

    try:
        trigger(expr, "UTC")
    except ValueError as e:
        raise ValueError(f"not a crontab expression {expr!r}: {e}") from None
    return expr


DURATION_UNITS = {"s": 1, "m": 60, "h": 3600}
POLL_TIMEOUT_RANGE = (10.0, 86_400.0)  # seconds: ten seconds to a day


def duration_seconds(value: object) -> float:
    """Seconds from a number (`1800`) or a number with a unit (`90s`, `30m`, `2h`); ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"expected seconds or a duration such as 30m, 2h, 90s, got {value!r}")
    if isinstance(value, str):
        text = value.strip().lower()
        unit = DURATION_UNITS.get(text[-1:], 0) if text else 0
        number = text[:-1] if unit else text
        try:
            seconds = float(number) * (unit or 1)
        except ValueError:
            raise ValueError(f"expected seconds or a duration such as 30m, 2h, 90s, got {value!r}") from None
    else:
        seconds = float(value)
    low, high = POLL_TIMEOUT_RANGE
    if not low <= seconds <= high:  # also refuses nan and inf
        raise ValueError(f"must be between {low:g} s and {high / 3600:g} h, got {value!r}")
    return seconds


class Schedule(Strict):
    poll: str = "0 6 * * *"
    weekly_digest: str = "0 8 * * mon"
    daily_digest: str = "30 6 * * *"
    poll_timeout: float = 1800.0  # seconds (`30m`, `2h` and `90s` are read too): a longer poll is cancelled

    _cron = field_validator("poll", "weekly_digest", "daily_digest")(check_crontab)

    @field_validator("poll_timeout", mode="before")
    @classmethod
    def _duration(cls, v: object) -> float:
        return duration_seconds(v)


class Http(Strict):
    timeout_s: float = Field(30, gt=0, le=600)
    concurrency: int = Field(16, ge=1, le=256)
    per_host: int = Field(2, ge=1, le=64)
    max_bytes: int = Field(10_000_000, ge=1024)
    max_redirects: int = Field(5, ge=0, le=20)
    redirect_hosts: list[str] = []  # other hosts a redirect may go to (e.g. feeds.feedburner.com)
    user_agent: str = "monitor/<version> (+https://example.org/contact)"

    @property
    def user_agent_header(self) -> str:
        return self.user_agent.replace("<version>", __version__)


class Matching(Strict):
    quiet_after_days: int = Field(60, ge=1)
    threshold: float = Field(1.0, ge=0)


class Digest(Strict):
    due_soon_days: int = Field(30, ge=0)
    send_empty: bool = False
    base_url: str | None = None

    @field_validator("base_url")
    @classmethod
    def _http(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        try:
            parts = urlsplit(v)
            host = parts.hostname
        except ValueError:  # a malformed [IPv6] host
            host = None
        if not host or parts.scheme.lower() not in ("http", "https"):
            raise ValueError(f"must be an http(s) URL, got {v!r}")
        return v


class Report(Strict):
    out: str | None = None


class Smtp(Strict):
    host: str = "localhost"
    port: int = Field(587, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "starttls"
    username: str | None = None
    password_env: str = "MONITOR_SMTP_PASSWORD"
    from_: str = Field("Implementation Monitor <monitor@example.org>", alias="from")
    timeout_s: float = Field(30, gt=0)


class Settings(Strict):
    database_url: str | None = None
    timezone: str = "UTC"
    schedule: Schedule = Schedule()
    http: Http = Http()
    matching: Matching = Matching()
    digest: Digest = Digest()
    report: Report = Report()
    smtp: Smtp = Smtp()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {v!r}") from None
        return v


SECTIONS = {"schedule", "http", "matching", "digest", "report", "smtp"}
TOP_LEVEL = {"database_url", "timezone"}


def env_overrides(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """MONITOR_* variables as a nested dict, the variable behind each field path, and problems."""
    data: dict[str, Any] = {}
    origin: dict[str, str] = {}
    bad: list[str] = []
    for name, raw in environ.items():
        if not name.startswith("MONITOR_"):
            continue
        key = name[len("MONITOR_") :].lower()
        value = _env_value(raw)
        if "__" in key:
            section, _, field = key.partition("__")
            if section not in SECTIONS:
                bad.append(f"environment {name}: unknown settings section {section!r}")
                continue
            data.setdefault(section, {})[field] = value
            origin[f"{section}.{field}"] = f"environment {name}"
        elif key in TOP_LEVEL:
            data[key] = value
            origin[key] = f"environment {name}"
        # Other MONITOR_* names (MONITOR_HOME, MONITOR_NOW, ...) are not settings.
    return data, origin, bad


def _env_value(raw: str) -> Any:
    """A YAML scalar (`10`, `true`, `null`) or a flat list of scalars (`[a, b]`); anything else, nested or
    aliased (an alias bomb cannot hide in a flat list), stays the raw string for validation to judge."""
    if not raw.strip():
        return raw
    try:
        node = yaml.compose(raw, Loader=yaml.SafeLoader)
        flat = isinstance(node, yaml.ScalarNode) or (
            isinstance(node, yaml.SequenceNode) and all(isinstance(n, yaml.ScalarNode) for n in node.value)
        )
        return yaml.safe_load(raw) if flat else raw
    except (yaml.YAMLError, ValueError):  # ValueError: a date that is none (2026-02-30), an over-long number
        return raw


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def build(source: str, data: Any, environ: Mapping[str, str]) -> tuple[Settings | None, list[str]]:
    """Validate monitor.yaml's data with the environment's overrides on top."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [f"{source}: (top level): expected a mapping of settings"]
    over, origin, bad = env_overrides(environ)
    try:
        built = Settings.model_validate(_merge(data, over))
    except ValidationError as e:
        return None, bad + problems(source, e, rename=origin)
    if built.schedule.poll_timeout <= built.http.timeout_s:  # else one slow feed would cancel every poll
        label = origin.get("schedule.poll_timeout") or f"{source}: schedule.poll_timeout"
        return None, [
            *bad,
            f"{label}: must be longer than http.timeout_s ({built.http.timeout_s:g} s), "
            f"got {built.schedule.poll_timeout:g} s",
        ]
    return built, bad
