"""Writing tables and files: CSV or Parquet, whole or part by part, safely.

Every file gipro writes goes through this module: tables (results, stages, exclusions,
weights, details; the tables of the analyses) through :func:`write_table`, text files
(``log.yaml``, summaries) through :func:`write_text`, and files written by other libraries
(workbooks, HTML and PDF reports, chart images) through :func:`replace_file`. The rules
every one of them keeps:

* **atomic files**: each file is written under a temporary name beside it and renamed when
  complete, so no reader (pandas, a spreadsheet) ever sees half a file under the real name;
* **output folders** (:func:`output_folder`): the folder is locked while a command writes it
  (a second gipro command writing the same folder is refused), marked incomplete
  (``INCOMPLETE.txt``, ``"complete": false`` in the manifest) until its last file is
  written, and listed in a manifest (``gipro-manifest.json``): gipro overwrites and deletes
  only files listed there, so a user's own file in the folder is never replaced, and the
  files of an earlier run of the same kind (``build``, ``sensitivity``...) that this run
  does not write (stale stages, details, an absent ``sobol.csv``) are removed at the end --
  another command's files in the same folder are kept; an interrupt (Ctrl-C), a full disk
  or any error leaves the folder marked incomplete with one line saying so;
* **names and places** (:mod:`gipro.paths`): every name from a recipe or data set that
  becomes a file name is an identifier, every file lies inside the folder chosen, and no
  output replaces a file the run read;
* **CSV safe to open in a spreadsheet**: a text cell (or header) that starts with ``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return -- which Excel and LibreOffice would run as a
  formula (CSV injection) -- is written with a leading apostrophe (``'=HYPERLINK(...)``), as
  OWASP recommends; numbers (``-3.5``, ``+2``) are left as they are, and Parquet is written
  unchanged (no spreadsheet evaluates it).

CSV parts are appended under one header, so a table written in parts is the same file, byte
for byte, as the table written at once; Parquet parts become row groups of one file (Apache
Parquet, through pyarrow: ``pip install "gipro[parquet]"``).

References
----------
OWASP, "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import contextvars
import json
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .dataset import DataSet
from .errors import GiproError, InputError
from .paths import check_output, inside

__all__ = ["FORMATS", "MANIFEST", "OutputFolder", "dataset_arrow", "dataset_parts", "grouped",
           "manifest_files", "neutralise", "neutralise_cell", "output_folder", "replace_file",
           "restore", "restore_cell", "write_table", "write_text"]

#: Formats of written tables (the suffix of the file).
FORMATS = ("csv", "parquet")

#: Rows per part when a data set is written block by block of units.
PART_ROWS = 1_000_000

#: The list of the files gipro wrote in an output folder.
MANIFEST = "gipro-manifest.json"
#: Present while a folder is being written, and after a run that did not finish.
INCOMPLETE = "INCOMPLETE.txt"
#: Held (``flock``) while a gipro command writes the folder.
LOCK = ".gipro.lock"
#: Suffix of the temporary name a file is written under before it is renamed.
TMP_SUFFIX = ".gipro-tmp"


def check_format(fmt: str) -> str:
    """``fmt`` if it is a table format, else an InputError listing the formats."""
    if fmt not in FORMATS:
        raise InputError(f"unknown table format {fmt!r}; use one of {', '.join(FORMATS)}")
    return fmt


def write_table(table: pd.DataFrame | Iterable[Any], stem: str | Path, fmt: str = "csv", *,
                bom: bool = False) -> Path:
    """Write a table (or its parts, in order) to ``stem.csv`` or ``stem.parquet``.

    Parameters
    ----------
    table : pandas.DataFrame or iterable of DataFrames
        The table, or its parts (the same columns each; at least one part). For Parquet the
        parts may also be ``pyarrow.Table`` objects.
    stem : path
        The file without its suffix.
    fmt : {"csv", "parquet"}
    bom : bool
        CSV: start with a UTF-8 byte-order mark (Excel then reads Chinese text right).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    InputError
        An unknown format; Parquet without pyarrow installed.
    OSError
        The file cannot be written.
    """
    check_format(fmt)
    path = Path(f"{stem}.{fmt}")
    parts: Iterator[pd.DataFrame] = iter([table] if isinstance(table, pd.DataFrame) else table)
    if fmt == "csv":
        with replace_file(path) as tmp, tmp.open(
                "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
            for i, part in enumerate(parts):
                neutralise(part).to_csv(f, index=False, header=i == 0)
        return path
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("Parquet output needs pyarrow, which is not installed",
                         ['pip install "gipro[parquet]", or write CSV (--format csv)']) from None
    with replace_file(path) as tmp:
        writer = None
        try:
            for part in parts:
                t = (part if isinstance(part, pa.Table)
                     else pa.Table.from_pandas(part, preserve_index=False))
                if writer is None:
                    schema = t.schema.remove_metadata()
                    # dictionary encoding for the text columns only (codes, names: few
                    # distinct values); numbers are stored plain (a dictionary of random
                    # doubles is slow to build and then dropped)
                    text = [f.name for f in schema if pa.types.is_dictionary(f.type)
                            or pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
                    writer = pq.ParquetWriter(tmp, schema, use_dictionary=text)
                writer.write_table(t.cast(schema) if not t.schema.equals(schema) else t)
        finally:
            if writer is not None:
                writer.close()
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write a UTF-8 text file (a log, a summary, a recipe as run) the way
    :func:`write_table` writes tables: atomically, checked, listed in the folder's
    manifest."""
    path = Path(path)
    with replace_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def yaml_text(data: Any, path: str | Path | None = None) -> str:
    """``data`` as block YAML, keys in their order and Chinese as written (the style of every
    YAML file gipro writes); written with :func:`write_text` to ``path`` if given."""
    import yaml

    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if path is not None:
        write_text(path, text)
    return text


#: The first characters that make a spreadsheet read a CSV cell as a formula (OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise_cell(v: Any) -> Any:
    """``v`` with a leading apostrophe when it is text a spreadsheet would run as a formula
    (it starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return, and is not a number).

    Examples
    --------
    >>> [neutralise_cell(v) for v in ("=1+1", "@SUM(A1)", "-3.5", "+2", "-x", "Beijing", 7)]
    ["'=1+1", "'@SUM(A1)", '-3.5', '+2', "'-x", 'Beijing', 7]
    """
    if (isinstance(v, str) and v.startswith(_FORMULA_START)
            and not (v[0] in "+-" and _NUMBER.fullmatch(v))):
        return "'" + v
    return v


def restore_cell(v: Any) -> Any:
    """The inverse of :func:`neutralise_cell`, for gipro's readers: a text cell of an
    apostrophe followed by a formula character (``'==``, ``'=1+1``) is read without the
    apostrophe -- gipro (or a spreadsheet) put it there so that the cell is not run; a
    spreadsheet shows it without the apostrophe too.

    Examples
    --------
    >>> [restore_cell(v) for v in ("'==", "'-x", "'-3", "'quoted", "x")]
    ['==', '-x', "'-3", "'quoted", 'x']
    """
    if isinstance(v, str) and len(v) > 1 and v[0] == "'" and neutralise_cell(v[1:]) != v[1:]:
        return v[1:]
    return v


def restore(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`restore_cell` on the text cells of ``frame`` (the same object when no cell
    starts with an apostrophe)."""
    out = frame
    for j, dtype in enumerate(frame.dtypes):
        if getattr(dtype, "kind", "") != "O":
            continue
        col = frame.iloc[:, j]
        try:
            hit = col.str.startswith("'", na=False).to_numpy(dtype=bool)
        except AttributeError:  # no text in the column
            continue
        if not hit.any():
            continue
        if out is frame:
            out = frame.copy()
        vals = col.to_numpy(dtype=object).copy()
        vals[hit] = [restore_cell(v) for v in vals[hit]]
        out.isetitem(j, vals)
    return out


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell and column name a spreadsheet would run as a formula
    neutralised (:func:`neutralise_cell`); the same object when there is none (numbers and
    ordinary text are never copied)."""
    out = frame
    names = [neutralise_cell(c) for c in frame.columns]
    if any(a is not b for a, b in zip(names, frame.columns, strict=True)):
        out = frame.copy(deep=False)
        out.columns = names
    for j, dtype in enumerate(frame.dtypes):
        if isinstance(dtype, pd.CategoricalDtype):
            col = out.iloc[:, j]
            cats = [neutralise_cell(c) for c in col.cat.categories]
            if any(a is not b for a, b in zip(cats, col.cat.categories, strict=True)):
                out = out.copy(deep=False) if out is frame else out
                out.isetitem(j, col.astype(object).map(neutralise_cell))
            continue
        col = out.iloc[:, j]
        if isinstance(dtype, pd.StringDtype):  # vectorised (Arrow strings): first characters
            hit = col.str[:1].isin(_FORMULA_START).to_numpy(dtype=bool)
            if not hit.any():
                continue
        elif getattr(dtype, "kind", "") == "O":  # Python objects: each distinct value once
            if not any(neutralise_cell(v) is not v for v in pd.unique(col.to_numpy())):
                continue
            hit = np.ones(len(col), dtype=bool)
        else:
            continue
        vals = col.to_numpy(dtype=object).copy()
        vals[hit] = [neutralise_cell(v) for v in vals[hit]]
        out = out.copy(deep=False) if out is frame else out
        out.isetitem(j, pd.Series(vals, index=col.index, dtype=object))
    return out


# ---- output folders ---------------------------------------------------------------------

_ACTIVE: contextvars.ContextVar[tuple[OutputFolder, ...]] = contextvars.ContextVar(
    "gipro_output_folders", default=())


def _manifest(folder: Path) -> dict[str, set[str]]:
    """The manifest's files by the kind of output that wrote them (``build``,
    ``sensitivity``...); empty when there is none (or it cannot be read)."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files = data.get("files", {})
        if isinstance(files, list):  # (a manifest of one kind)
            files = {"files": files}
        return {str(k): {str(f) for f in v} for k, v in files.items()}
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


def manifest_files(folder: str | Path) -> set[str]:
    """The files (paths relative to ``folder``, with ``/``) that gipro's manifest in
    ``folder`` lists as written by gipro; empty when there is no manifest."""
    return set().union(*_manifest(Path(folder)).values())


def _tmp_name(final: Path) -> Path:
    """The temporary name ``final`` is written under: hidden, the process id, the suffix kept
    (libraries that choose the format by the suffix still see it)."""
    return final.with_name(f".{final.stem}.{os.getpid()}{TMP_SUFFIX}{final.suffix}")


class OutputFolder:
    """A folder gipro is writing (see the module docstring): locked, marked incomplete until
    :meth:`close`, every file listed in its manifest. Use :func:`output_folder`."""

    def __init__(self, path: str | Path, inputs: Iterable[Path] | None = None,
                 kind: str = "files") -> None:
        self.path = Path(path)
        self.inputs = None if inputs is None else set(inputs)
        self.kind = kind
        self.listed: dict[str, set[str]] = {}  # the manifest as found, by kind
        self.previous: set[str] = set()
        self.written: list[str] = []
        self._lock: Any = None
        self._before: str | None = None  # the manifest as it was (None: there was none)
        self._created = False

    # -- opening and closing --
    def open(self) -> OutputFolder:
        try:
            self._created = not self.path.exists()
            self.path.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise InputError(f"cannot write outputs to {self.path}: a file of that name "
                             "exists", ["choose another --out folder"]) from None
        except OSError as exc:
            raise InputError(f"cannot write outputs to {self.path}: {exc.strerror}") from None
        self._acquire()
        try:
            self.listed = _manifest(self.path)
            self.previous = set().union(*self.listed.values())
            try:
                self._before = (self.path / MANIFEST).read_text(encoding="utf-8")
            except FileNotFoundError:
                self._before = None
            for old in [*self.path.glob(f".*{TMP_SUFFIX}*"),
                        *self.path.glob(f"*/.*{TMP_SUFFIX}*")]:
                old.unlink(missing_ok=True)  # left by a killed run (the lock is ours now)
            self._mark(complete=False, files=set())
        except OSError as exc:
            self._release()
            raise InputError(f"cannot write outputs to {self.path}: "
                             f"{exc.strerror or exc}") from None
        return self

    def close(self) -> None:
        """Remove the files of an earlier run of the same kind (``build``,
        ``sensitivity``...) that this one did not write -- another command's files in the
        folder are kept --, write the manifest and drop the incomplete mark."""
        new = set(self.written)
        kept = set()
        for rel in sorted(self.listed.get(self.kind, set()) - new):
            p = self.path / rel
            try:
                check_output(p, self.inputs)
                if p.is_file() and not p.is_symlink():
                    p.unlink()
            except (InputError, OSError):
                kept.add(rel)  # not removed: still listed (it is gipro's)
        self._mark(complete=True, files=new | kept)

    def fail(self, exc: BaseException) -> BaseException:
        """The one-line error for a write that stopped: the folder stays marked incomplete;
        when nothing was written yet, it is left as it was and ``exc`` is returned."""
        if not self.written:
            self._restore()
            return (InputError("interrupted before any output was written")
                    if isinstance(exc, KeyboardInterrupt) else exc)
        try:
            self._mark(complete=False, files=set())
        except OSError:
            pass
        where = f"{self.path} is marked incomplete ({INCOMPLETE}): run the command again"
        if isinstance(exc, KeyboardInterrupt):
            return InputError(f"interrupted while writing outputs: {where}")
        if isinstance(exc, GiproError):
            exc.details.append(where)
            return exc
        if isinstance(exc, OSError):
            return InputError(f"cannot write outputs to {self.path}: "
                              f"{exc.strerror or exc}; {where}",
                              [f"file: {exc.filename}"] if exc.filename else None)
        return InputError(f"writing outputs to {self.path} stopped "
                          f"({type(exc).__name__}: {exc}); {where}")

    def _restore(self) -> None:
        """Undo :meth:`open`'s marks (nothing was written)."""
        try:
            if self._before is None:
                (self.path / MANIFEST).unlink(missing_ok=True)
            else:
                _atomic_text(self.path / MANIFEST, self._before)
            if self._before is None or '"complete": true' in self._before:
                (self.path / INCOMPLETE).unlink(missing_ok=True)
            if self._created:
                self._release()
                self.path.rmdir()  # only when empty
        except OSError:
            pass

    def _mark(self, complete: bool, files: set[str]) -> None:
        """Write the manifest: this kind's ``files`` (while incomplete: also every file it
        listed or wrote so far, so that a new run may replace them) next to the other
        kinds' files, minus those this run wrote."""
        from .version import __version__

        mine = set(files) | (set() if complete else
                             self.listed.get(self.kind, set()) | set(self.written))
        listed = {k: v - mine for k, v in self.listed.items() if k != self.kind}
        listed[self.kind] = mine
        body = json.dumps({"written_by": f"gipro {__version__}", "complete": complete,
                           "files": {k: sorted(v) for k, v in sorted(listed.items()) if v}},
                          indent=1, ensure_ascii=False) + "\n"
        marker = self.path / INCOMPLETE
        if not complete:
            _atomic_text(marker, "gipro is writing this folder, or a run writing it was "
                         "interrupted or failed: its files may mix two runs. Run the command "
                         "again; gipro-manifest.json lists the files gipro wrote.\n")
        _atomic_text(self.path / MANIFEST, body)
        if complete:
            marker.unlink(missing_ok=True)

    def _acquire(self) -> None:
        lock = self.path / LOCK
        busy = InputError(f"another gipro command is writing to {self.path}: wait for it to "
                          "finish, or choose another --out folder")
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: an exclusive lock file
            try:
                self._lock = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                busy.details.append(f"if no gipro command is running, delete {lock}")
                raise busy from None
            return
        for _ in range(10):
            fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise busy from None
            try:  # the file may have been removed by the holder that just let go
                same = os.stat(lock).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._lock = fd
                return
            os.close(fd)
        raise busy

    def _release(self) -> None:
        if self._lock is None:
            return
        try:
            (self.path / LOCK).unlink(missing_ok=True)
        finally:
            os.close(self._lock)
            self._lock = None

    # -- files --
    def check(self, paths: Iterable[Path]) -> None:
        """Check the places of files about to be written (as :meth:`target` does, nothing
        recorded): a writer that knows its files calls this first, so that a file it must not
        replace stops it before anything is written."""
        for p in paths:
            rel = Path(p).relative_to(self.path)
            final = inside(self.path, rel)
            check_output(final, self.inputs)
            key = rel.as_posix()
            if final.exists() and key not in self.previous and key not in self.written:
                raise self._not_ours(final)

    def _not_ours(self, final: Path) -> InputError:
        return InputError(f"{final} exists and gipro did not write it (it is not in "
                          f"{self.path / MANIFEST}): gipro never overwrites a file it did not "
                          "write", ["choose another --out folder, or move the file away"])

    def target(self, path: Path) -> Path:
        """The checked place of ``path`` (inside this folder): a name, inside, not an input,
        not a file gipro did not write; recorded in the manifest."""
        rel = path.relative_to(self.path)
        final = inside(self.path, rel)
        check_output(final, self.inputs)
        key = rel.as_posix()
        if final.exists() and key not in self.previous and key not in self.written:
            raise self._not_ours(final)
        if key not in self.written:
            self.written.append(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        return final


def _atomic_text(path: Path, text: str) -> None:
    tmp = _tmp_name(path)
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def output_folder(path: str | Path, inputs: Iterable[Path] | None = None, kind: str = "files"
                  ) -> Iterator[OutputFolder]:
    """Write an output folder: every file written inside the block under ``path`` (by
    :func:`write_table`, :func:`write_text`, :func:`replace_file`) is checked, written
    atomically and listed in the manifest; the folder is locked during the block and marked
    complete at its end. A block for the same folder inside another joins it.

    Parameters
    ----------
    path : path
        The folder (created when missing).
    inputs : iterable of paths, optional
        Files the outputs must not replace (default: those read inside
        :func:`gipro.paths.recording_inputs`).
    kind : str
        What writes the folder (``build``, ``progress``, ``sensitivity``, ``scenario``,
        ``assess``, ``gtfp``, ``coherence``): at the end, the files an earlier output of the
        same kind wrote and this one did not are removed; other kinds' files are kept (two
        commands may share a folder).

    Raises
    ------
    InputError
        Another gipro command is writing the folder; it is a file; a file cannot be written
        (a full disk: the message says the folder is incomplete); Ctrl-C during the block
        (the same message).
    """
    path = Path(path)
    active = _ACTIVE.get()
    for f in active:
        if f.path.resolve() == path.resolve():
            yield f
            return
    folder = OutputFolder(path, inputs, kind).open()
    token = _ACTIVE.set((*active, folder))
    try:
        yield folder
        folder.close()
    except BaseException as exc:
        if isinstance(exc, GeneratorExit):
            raise
        err = folder.fail(exc)
        if err is exc:
            raise
        raise err from None
    finally:
        _ACTIVE.reset(token)
        folder._release()


def _folder_of(path: Path) -> OutputFolder | None:
    for f in reversed(_ACTIVE.get()):
        base = f.path.resolve()
        parent = path.parent.resolve()
        if parent == base or base in parent.parents:
            return f
    return None


@contextmanager
def replace_file(path: str | Path) -> Iterator[Path]:
    """A temporary path to write ``path``'s new content to; renamed to ``path`` when the
    block ends without an error (removed otherwise). Inside an :func:`output_folder` the
    file is checked and listed there; elsewhere it is checked not to be an input of the run
    (:func:`gipro.paths.check_output`).

    Raises
    ------
    InputError
        As :meth:`OutputFolder.target` and :func:`gipro.paths.check_output`.
    """
    path = Path(path)
    folder = _folder_of(path)
    final = folder.target(path) if folder is not None else check_output(path)
    tmp = _tmp_name(final)
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def dataset_parts(ds: DataSet, rows: int = PART_ROWS) -> Iterator[pd.DataFrame]:
    """A data set as a wide table (``unit, period`` and one column per code, rows by unit
    then period, as :meth:`gipro.dataset.DataSet.to_frame`), in parts of about ``rows`` rows
    (whole units each)."""
    p, u, c = ds.values.shape
    step = max(1, rows // max(p, 1))
    units = np.array(ds.units, dtype=object)
    for a in range(0, max(u, 1), step):
        b = min(u, a + step)
        block = ds.values[:, a:b, :].transpose(1, 0, 2).reshape((b - a) * p, c)
        frame = pd.DataFrame(block, columns=list(ds.codes))
        frame.insert(0, "period", np.tile(np.array(ds.periods), b - a))
        frame.insert(0, "unit", np.repeat(units[a:b], p))
        yield frame


def dataset_arrow(ds: DataSet, rows: int = PART_ROWS) -> Iterator[Any]:
    """:func:`dataset_parts` as Apache Arrow tables (the unit dictionary-encoded: no string
    per row is made), for writing Parquet (needs pyarrow)."""
    import pyarrow as pa

    p, u, c = ds.values.shape
    step = max(1, rows // max(p, 1))
    units = pa.array(list(ds.units), type=pa.string())
    periods = np.array(ds.periods, dtype=np.int64)
    for a in range(0, max(u, 1), step):
        b = min(u, a + step)
        block = ds.values[:, a:b, :].transpose(1, 0, 2).reshape((b - a) * p, c)
        cols = {"unit": pa.DictionaryArray.from_arrays(
                    pa.array(np.repeat(np.arange(a, b, dtype=np.int32), p)), units),
                "period": pa.array(np.tile(periods, b - a))}
        for k, code in enumerate(ds.codes):
            cols[code] = pa.array(np.ascontiguousarray(block[:, k]), pa.float64())
        yield pa.table(cols)


def grouped(parts: Iterable[Any], rows: int = PART_ROWS) -> Iterator[Any]:
    """Consecutive parts (DataFrames, or Arrow tables) joined into parts of about ``rows``
    rows: a small table is written in one piece, a big one in pieces of bounded size."""
    held: list[Any] = []
    n = 0
    for part in parts:
        held.append(part)
        n += len(part)
        if n >= rows:
            yield _join(held)
            held, n = [], 0
    if held:
        yield _join(held)


def _join(parts: list[Any]) -> Any:
    if len(parts) == 1:
        return parts[0]
    if isinstance(parts[0], pd.DataFrame):
        return pd.concat(parts, ignore_index=True)
    import pyarrow as pa

    return pa.concat_tables(parts)
