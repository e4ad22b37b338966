"""Errors raised by gipro.

Every error a user can cause is a :class:`GiproError`. Messages name the file, row, column,
unit, indicator or parameter involved and, where possible, say how to fix the input.

* :class:`InputError` -- a data file, recipe or argument is wrong (bad cell, duplicate row,
  unknown code, missing indicator).
* :class:`FrameworkError` -- an indicator framework is inconsistent (duplicate codes, unknown
  parents, cycles, missing directions, negative weights).
* :class:`MethodError` -- a method cannot be applied to these data (constant indicator before
  min-max, zero or negative values before a geometric mean, too few data).
"""

from __future__ import annotations

__all__ = ["FrameworkError", "GiproError", "InputError", "MethodError"]


class GiproError(Exception):
    """Base class of every error gipro raises on purpose.

    Parameters
    ----------
    message : str
        One line saying what is wrong.
    details : list of str, optional
        Further lines (one per problem found), shown below the message.
    """

    #: Longest message or detail kept (characters): a value printed in a message (a YAML
    #: tree, a long cell) is cut, never allowed to flood the terminal or the memory.
    MAX_CHARS = 2_000

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        self.message = _cut(message, self.MAX_CHARS)
        self.details = [_cut(d, self.MAX_CHARS) for d in (details or [])][:200]
        super().__init__(self._format())

    def _format(self) -> str:
        if not self.details:
            return self.message
        return self.message + "\n" + "\n".join(f"  - {d}" for d in self.details)


def _cut(text: object, limit: int) -> str:
    """``text`` (as str) cut to ``limit`` characters, saying how much was left out."""
    s = str(text)
    if len(s) <= limit:
        return s
    return f"{s[:limit]}... ({len(s) - limit:,} more characters)"


class InputError(GiproError):
    """A data file, recipe or argument is not usable as given."""


class FrameworkError(GiproError):
    """An indicator framework is inconsistent."""


class MethodError(GiproError):
    """A method cannot be applied to the data it was given."""
