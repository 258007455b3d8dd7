"""Turning pydantic errors into one line each: `<file>: <field path>: <what is wrong>`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from .yaml_read import YamlText as YamlText  # kept importable from here


def located(value: object) -> str:
    """` (line N)` for a value the YAML loader marked with its line, else nothing."""
    return value.where() if isinstance(value, YamlText) else ""


class Strict(BaseModel):
    """Base of every config model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def field_path(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _describe(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required but missing"
    msg = str(err.get("msg", "invalid"))
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if "input" in err and kind not in ("value_error",) and not isinstance(err["input"], (dict, list)):
        return f"{msg} (got {err['input']!r})"
    return msg


def problems(
    source: str, error: ValidationError, rename: dict[str, str] | None = None, prefix: tuple[Any, ...] = ()
) -> list[str]:
    """One line per pydantic error; `rename` maps a field path to another source (an env variable)."""
    lines = []
    for err in error.errors():
        path = field_path([*prefix, *_strip_union_tags(err["loc"])])
        where = (rename or {}).get(path)
        label = where if where else f"{source}: {path}"
        lines.append(f"{label}: {_describe(dict(err))}")
    return lines


def _strip_union_tags(loc: Iterable[Any]) -> list[Any]:
    # pydantic adds the member type to union error locations ("str", "list[str]", "function-after[...]").
    return [p for p in loc if not (isinstance(p, str) and ("[" in p or p in ("str", "int", "date", "list")))]
