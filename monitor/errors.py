"""One error root for everything monitor raises on purpose.

Each class carries the exit status the CLI uses: 2 for bad input (config, ids, dates),
1 for an operation that failed (network, database, SMTP).
"""

from __future__ import annotations


class MonitorError(Exception):
    exit_code = 1


class ConfigError(MonitorError):
    """Invalid configuration; carries every problem found, each one line."""

    exit_code = 2

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        first = self.problems[0] if self.problems else "invalid configuration"
        more = len(self.problems) - 1
        super().__init__(first + (f" (and {more} more problem{'s' * (more > 1)}: run 'monitor check')" if more else ""))


class NotAHomeError(ConfigError):
    pass


class InputError(MonitorError):
    """Bad input on the command line: an unknown id, an impossible date, an unknown status."""

    exit_code = 2


class StorageError(MonitorError):
    """The database could not be opened, read or written."""


def unknown_id(kind: str, value: str, known: list[str]) -> InputError:
    """An InputError for an unknown id, naming the closest known ids."""
    import difflib

    close = difflib.get_close_matches(value, known, n=3, cutoff=0.5)
    if not close:
        close = [k for k in known if value and (value in k or k in value)][:3]
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    return InputError(f"unknown {kind} {value!r}{hint}")
