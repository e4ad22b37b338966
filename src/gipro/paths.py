"""The rules for the paths gipro reads and writes, in one place.

Inputs (:func:`check_input`): a path gipro reads must be a regular file (never a device, a
FIFO or a socket, which could block forever or never end) no bigger than
:data:`MAX_INPUT_BYTES`; every file read while a run is recorded (:func:`recording_inputs`)
is remembered, so that no output of the run can replace one of its inputs.

Outputs (:func:`output_name`, :func:`inside`, :func:`check_output`): a name that comes from
a recipe or a data file and becomes part of a path (a step's ``name:`` or ``output:``, a
park code, a table's key) must be an identifier -- letters, digits, ``_``, ``-`` and inner
dots, no separator, no ``..`` -- and every output path must lie inside the output folder the
user chose and must not be a file the run read. The writing itself (temporary name and
rename, the manifest, the lock) is :mod:`gipro.tables`.
"""

from __future__ import annotations

import contextvars
import os
import re
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import InputError

__all__ = ["MAX_INPUT_BYTES", "NAME_PATTERN", "check_input", "check_output", "inside",
           "output_name", "read_text", "recording_inputs"]

#: Largest input file gipro reads (bytes; 4 GiB): a bigger table belongs in Parquet read in
#: parts, and a bigger recipe is not a recipe. Raise it with care: the file is held in memory.
MAX_INPUT_BYTES = 4 * 1024 ** 3

#: Largest YAML/text file (recipes, frameworks, scenarios, configurations): 16 MiB.
MAX_TEXT_BYTES = 16 * 1024 ** 2

#: A name that becomes (part of) a file name: a letter, digit or ``_`` first, then letters,
#: digits, ``_``, ``-`` and ``.`` (any script: step names may be Chinese), at most 120
#: characters, never ``..``.
NAME_PATTERN = re.compile(r"[^\W][\w.-]{0,119}")

_INPUTS: contextvars.ContextVar[set[Path] | None] = contextvars.ContextVar(
    "gipro_inputs", default=None)


def _resolved(path: str | os.PathLike[str]) -> Path:
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):  # a symlink loop: compare as written
        return Path(os.path.abspath(path))


def check_input(path: str | os.PathLike[str], what: str = "input file",
                limit: int | None = None) -> Path:
    """Check that ``path`` is a regular file of at most ``limit`` bytes (default
    :data:`MAX_INPUT_BYTES`) and remember it as an input of the run being recorded.

    Raises
    ------
    InputError
        The path is missing, a folder, a device, FIFO or socket, or too big.
    """
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputError(f"{what} not found: {p}") from None
    except OSError as exc:
        raise InputError(f"cannot read {what} {p}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{p} is a folder, not a file ({what})")
    if not stat.S_ISREG(st.st_mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else
                "a socket" if stat.S_ISSOCK(st.st_mode) else "a device")
        raise InputError(f"{p} is {kind}, not a regular file: gipro reads {what}s from files "
                         "only", ["save the data to a file and give its path"])
    limit = MAX_INPUT_BYTES if limit is None else limit
    if st.st_size > limit:
        raise InputError(f"{p} is too big to read as {what}: {st.st_size:,} bytes, the limit "
                         f"is {limit:,}", ["for big tables use Parquet (data: path: "
                                           "x.parquet) or split the file"])
    seen = _INPUTS.get()
    if seen is not None:
        seen.add(_resolved(p))
    return p


def read_text(path: str | os.PathLike[str], what: str, hint: str = "save the file as UTF-8"
              ) -> str:
    """The text of a small UTF-8 file (a recipe, framework, scenarios or configuration file)
    after :func:`check_input`; a byte-order mark is dropped.

    Raises
    ------
    InputError
        As :func:`check_input` (limit :data:`MAX_TEXT_BYTES`); not UTF-8 text.
    """
    p = check_input(path, what, MAX_TEXT_BYTES)
    try:
        return p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read {what} {p}: it is not UTF-8 text ({exc.reason} at "
                         f"byte {exc.start})", [hint]) from None
    except OSError as exc:
        raise InputError(f"cannot read {what} {p}: {exc.strerror or exc}") from None


@contextmanager
def recording_inputs(into: set[Path] | None = None) -> Iterator[set[Path]]:
    """Remember every file :func:`check_input` passes inside the block (nested blocks add to
    the outer set too), so that outputs can be checked against them (:func:`check_output`)."""
    outer = _INPUTS.get()
    seen = into if into is not None else (outer if outer is not None else set())
    token = _INPUTS.set(seen)
    try:
        yield seen
    finally:
        _INPUTS.reset(token)
        if outer is not None and outer is not seen:
            outer |= seen


def inputs_read() -> set[Path]:
    """The inputs remembered by the innermost :func:`recording_inputs` block (empty
    outside one)."""
    return set(_INPUTS.get() or ())


def output_name(name: str, what: str) -> str:
    """``name`` if it can be part of a file name (:data:`NAME_PATTERN`), else an InputError
    naming ``what`` (e.g. ``"step name"``).

    Examples
    --------
    >>> output_name("normalised", "data set")
    'normalised'
    >>> try:
    ...     output_name("../escape", "step output")
    ... except InputError as exc:
    ...     print(exc.message)  # doctest: +ELLIPSIS
    step output '../escape' cannot be a file name: use letters, digits, '_', '-' and ...
    """
    if (not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or ".." in name
            or name.endswith(".")):
        raise InputError(f"{what} {str(name)[:80]!r} cannot be a file name: use letters, "
                         "digits, '_', '-' and inner dots (at most 120 characters; no '/', "
                         "'\\', '..' or spaces)")
    return name


def inside(folder: str | os.PathLike[str], rel: str | os.PathLike[str]) -> Path:
    """``folder / rel``, refused unless every part of ``rel`` is a name
    (:func:`output_name`) and the path stays inside ``folder`` (symbolic links resolved).

    Raises
    ------
    InputError
        ``rel`` is absolute, has ``..`` or a part that is not a name, or leads outside.
    """
    r = Path(rel)
    if r.is_absolute() or not r.parts:
        raise InputError(f"output {str(rel)!r} must be a name inside {folder}")
    for part in r.parts:
        output_name(part, "output file name")
    base = _resolved(folder)
    target = _resolved(Path(folder) / r)
    if base != target and base not in target.parents:
        raise InputError(f"output {str(rel)!r} would be written outside {folder}")
    return Path(folder) / r


def check_output(path: str | os.PathLike[str], inputs: Iterable[Path] | None = None) -> Path:
    """Refuse to write ``path`` when it is one of the run's inputs (default: the files read
    inside the current :func:`recording_inputs` block).

    Raises
    ------
    InputError
        Naming the input and asking for another output name.
    """
    p = _resolved(path)
    if p in (inputs_read() if inputs is None else {_resolved(i) for i in inputs}):
        raise InputError(f"the output {path} is an input of this run: gipro never overwrites "
                         "what it reads", ["choose another output path"])
    return Path(path)
