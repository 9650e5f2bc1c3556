"""The narrow exception hierarchy of borderwatch.

Every error a user can cause (a bad file, an unknown name, an impossible request) is a
:class:`BorderwatchError`; the CLI prints its one-line message and exits with status 2.
"""

from __future__ import annotations


class BorderwatchError(Exception):
    """Base of every error borderwatch raises on purpose."""


class InputError(BorderwatchError):
    """A file or argument supplied by the user is invalid.

    The message names the file (if any), the field and what is wrong with it.
    """

    def __init__(self, message: str, *, source: str | None = None, field: str | None = None) -> None:
        self.source = source
        self.field = field
        parts = [p for p in (source, field) if p]
        prefix = ": ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class NotFoundError(BorderwatchError):
    """A named thing (theatre, scenario, class, place) does not exist."""


class InfeasibleError(BorderwatchError):
    """A plan or computation has no solution for the given input."""
