#!/usr/bin/env python
"""Mutation testing of one gipro module: do the tests notice a wrong number?

    python tools/mutate.py src/gipro/methods/normalise.py            # every mutant
    python tools/mutate.py gipro.methods.rank --sample 100 --seed 1  # a sample
    python tools/mutate.py gipro.methods.rank --survivors            # re-run last survivors
    python tools/mutate.py gipro.methods.rank --list                 # list, run nothing
    python tools/mutate.py gipro.methods.rank --show 1a2b3c4d        # one mutant as a diff

The tool makes first-order mutants of the module (operators swapped, comparisons moved or
negated, numbers changed, ``True``/``False`` swapped, ``min``/``max``, ``any``/``all``,
``mean``/``median`` and friends swapped, ``&``/``|`` swapped, ``~``/``not``/``-`` removed, ``if``
conditions negated, ``raise`` removed, ``return x`` made ``return None``) and runs, for each
mutant, the tests that exercise it: the test files that import the module and the module's own
doctests, narrowed to the tests that execute the mutated statement (a line trace taken once on
the unmutated code), fastest first, with ``-x -q -p no:cacheprovider`` and a time limit.

A mutant is *killed* when a test fails or errors (or the run times out), *survived* when the
tests pass, *uncovered* when no selected test runs its line (a survivor). Mutants listed as
equivalent in ``docs/testing.md`` (a table row starting with the mutant's id in backticks) are
left out of the score: ``score = killed / (mutants - equivalent)``.

Each mutant runs in a process forked from a parent that has already imported pytest, numpy,
pandas, scipy and hypothesis (never gipro), against a scratch copy of the working tree in which
only the mutated file differs. The tool lowers its own priority (``nice`` 10), holds a machine
wide lock so that two mutation runs never share the CPU, and writes its results to
``.mutation/<module>.json`` (not tracked).
"""

from __future__ import annotations

import os

# One thread per process (the machine is shared); set before numpy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import ast  # noqa: E402
import compileall  # noqa: E402
import difflib  # noqa: E402
import fcntl  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LOCK = Path(tempfile.gettempdir()) / "gipro-mutation.lock"
DOC = ROOT / "docs" / "testing.md"
OUT = ROOT / ".mutation"

# --------------------------------------------------------------------------- mutation operators

BINOP_SWAPS: dict[type, list[type]] = {
    ast.Add: [ast.Sub], ast.Sub: [ast.Add], ast.Mult: [ast.Div], ast.Div: [ast.Mult],
    ast.FloorDiv: [ast.Div], ast.Mod: [ast.FloorDiv], ast.Pow: [ast.Mult],
    ast.BitAnd: [ast.BitOr], ast.BitOr: [ast.BitAnd], ast.BitXor: [ast.BitOr],
}
CMP_SWAPS: dict[type, list[type]] = {
    ast.Lt: [ast.LtE, ast.GtE], ast.LtE: [ast.Lt, ast.Gt], ast.Gt: [ast.GtE, ast.LtE],
    ast.GtE: [ast.Gt, ast.Lt], ast.Eq: [ast.NotEq], ast.NotEq: [ast.Eq],
    ast.Is: [ast.IsNot], ast.IsNot: [ast.Is], ast.In: [ast.NotIn], ast.NotIn: [ast.In],
}
AUG_SWAPS: dict[type, type] = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div,
                               ast.Div: ast.Mult, ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd}
OP_TEXT = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
    ast.Pow: "**", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.Lt: "<",
    ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.Is: "is",
    ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in", ast.And: "and", ast.Or: "or",
}
# Function or method names swapped with their twin (by the last part of the called name).
NAME_SWAPS = {
    "min": "max", "max": "min", "amin": "amax", "amax": "amin", "nanmin": "nanmax",
    "nanmax": "nanmin", "minimum": "maximum", "maximum": "minimum", "fmin": "fmax",
    "fmax": "fmin", "argmin": "argmax", "argmax": "argmin", "nanargmin": "nanargmax",
    "nanargmax": "nanargmin", "idxmin": "idxmax", "idxmax": "idxmin", "any": "all",
    "all": "any", "mean": "median", "median": "mean", "nanmean": "nanmedian",
    "nanmedian": "nanmean", "floor": "ceil", "ceil": "floor", "nsmallest": "nlargest",
    "nlargest": "nsmallest", "cummin": "cummax", "cummax": "cummin",
}


@dataclass
class Mutant:
    """One first-order change of the module source."""

    id: str
    line: int
    end_line: int
    col: int
    qualname: str
    description: str
    replacement: str  # text put in place of source[line:col .. end_line:end_col]
    end_col: int
    stmt_lines: tuple[int, int]  # the statement (header) whose execution exercises it
    status: str = ""
    tests: int = 0
    seconds: float = 0.0
    killer: str = ""


@dataclass
class _Site:
    node: ast.AST
    description: str
    replacement: str
    start: tuple[int, int] | None = None  # override of the replaced span
    end: tuple[int, int] | None = None


def _unparse(node: ast.AST) -> str:
    return ast.unparse(node)


def _paren(node: ast.AST) -> str:
    return "(" + _unparse(node) + ")"


class _Collector(ast.NodeVisitor):
    """List every mutation site of a module (not in docstrings, annotations, f-strings)."""

    def __init__(self) -> None:
        self.sites: list[tuple[_Site, str, ast.stmt]] = []
        self._scope: list[str] = []
        self._stmt: list[ast.stmt] = []
        self._docstrings: set[int] = set()

    # -- bookkeeping
    def _add(self, site: _Site) -> None:
        self.sites.append((site, ".".join(self._scope) or "<module>", self._stmt[-1]))

    def generic_visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.stmt):
            self._stmt.append(node)
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            self._docstrings.add(id(body[0].value))
        for name, value in ast.iter_fields(node):
            if name in ("annotation", "returns", "type_comment"):
                continue
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        self.visit(item)
            elif isinstance(value, ast.AST):
                self.visit(value)
        if isinstance(node, ast.stmt):
            self._stmt.pop()

    def _scoped(self, node: ast.AST) -> None:
        self._scope.append(node.name)  # type: ignore[attr-defined]
        self.generic_visit(node)
        self._scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scoped

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._stmt.append(node)
        if node.value is not None:
            self.visit(node.value)
        self._stmt.pop()

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        return  # messages: positions inside f-strings are not reliable before 3.12

    def visit_If(self, node: ast.If) -> None:
        if not isinstance(node.test, (ast.Compare, ast.BoolOp, ast.UnaryOp, ast.Constant)):
            self._stmt.append(node)
            neg = ast.UnaryOp(ast.Not(), node.test)
            self._add(_Site(node.test, f"`if {_short(node.test)}` -> `if not ...`", _paren(neg)))
            self._stmt.pop()
        self.generic_visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        if not isinstance(node.test, (ast.Compare, ast.BoolOp, ast.UnaryOp, ast.Constant)):
            neg = ast.UnaryOp(ast.Not(), node.test)
            self._add(_Site(node.test, f"`{_short(node.test)} if` -> `not ... if`", _paren(neg)))
        self.generic_visit(node)

    def visit_Raise(self, node: ast.Raise) -> None:
        self._stmt.append(node)
        self._add(_Site(node, "remove `raise`", "pass"))
        self._stmt.pop()
        self.generic_visit(node)

    def visit_Return(self, node: ast.Return) -> None:
        v = node.value
        if v is not None and not (isinstance(v, ast.Constant) and v.value is None):
            self._stmt.append(node)
            self._add(_Site(node, "`return x` -> `return None`", "return None"))
            self._stmt.pop()
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        new = AUG_SWAPS.get(type(node.op))
        if new is not None:
            self._stmt.append(node)
            m = ast.AugAssign(node.target, new(), node.value)
            self._add(_Site(node, f"`{OP_TEXT[type(node.op)]}=` -> `{OP_TEXT[new]}=`",
                            _unparse(m)))
            self._stmt.pop()
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        for new in BINOP_SWAPS.get(type(node.op), []):
            m = ast.BinOp(node.left, new(), node.right)
            self._add(_Site(node, f"`{OP_TEXT[type(node.op)]}` -> `{OP_TEXT[new]}`", _paren(m)))
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        new = ast.Or if isinstance(node.op, ast.And) else ast.And
        m = ast.BoolOp(new(), node.values)
        self._add(_Site(node, f"`{OP_TEXT[type(node.op)]}` -> `{OP_TEXT[new]}`", _paren(m)))
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        for i, op in enumerate(node.ops):
            for new in CMP_SWAPS.get(type(op), []):
                ops = list(node.ops)
                ops[i] = new()
                m = ast.Compare(node.left, ops, node.comparators)
                self._add(_Site(node, f"`{OP_TEXT[type(op)]}` -> `{OP_TEXT[new]}`", _paren(m)))
        for operand in [node.left, *node.comparators]:
            if isinstance(operand, ast.Constant) and isinstance(operand.value, str):
                self._add(_Site(operand, f"`{operand.value!r}` -> `'XX{operand.value}'`",
                                repr("XX" + operand.value)))
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.USub) and _is_number(node.operand):
            value = -node.operand.value  # type: ignore[attr-defined]
            self._number(node, value)
            return
        if isinstance(node.op, (ast.Not, ast.Invert, ast.USub)):
            sym = {ast.Not: "not ", ast.Invert: "~", ast.USub: "-"}[type(node.op)]
            self._add(_Site(node, f"`{sym}x` -> `x`", _paren(node.operand)))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if id(node) in self._docstrings:
            return
        if isinstance(node.value, bool):
            self._add(_Site(node, f"`{node.value}` -> `{not node.value}`", repr(not node.value)))
        elif _is_number(node):
            self._number(node, node.value)

    def _number(self, node: ast.AST, value: float) -> None:
        new = value + 1
        self._add(_Site(node, f"`{value!r}` -> `{new!r}`", "(" + repr(new) + ")"))

    def visit_keyword(self, node: ast.keyword) -> None:
        if node.arg != "stacklevel":  # where a warning points, not a number
            self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        f = node.func
        if isinstance(f, ast.Attribute) and f.attr in ("reduce", "accumulate", "at"):
            f = f.value  # np.maximum.accumulate: swap the ufunc
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
        twin = NAME_SWAPS.get(name or "")
        if twin is not None:
            if isinstance(f, ast.Attribute):
                new = ast.Attribute(f.value, twin, ast.Load())
            else:
                new = ast.Name(twin, ast.Load())
            self._add(_Site(f, f"`{_short(f)}` -> `{_unparse(new)}`", _unparse(new)))
        self.generic_visit(node)


def _is_number(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool))


def _short(node: ast.AST, width: int = 40) -> str:
    text = _unparse(node)
    return text if len(text) <= width else text[: width - 3] + "..."


def _header_lines(stmt: ast.stmt) -> tuple[int, int]:
    """First and last line of a statement without its nested blocks."""
    end = stmt.lineno
    for name, value in ast.iter_fields(stmt):
        if name in ("body", "orelse", "finalbody", "handlers", "cases"):
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, ast.AST) and hasattr(item, "end_lineno"):
                end = max(end, item.end_lineno or end)
    start = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
    return start, end


def mutants_of(source: str, rel: str) -> list[Mutant]:
    """Every mutant of the module ``source`` (``rel``, its path, names it in the ids)."""
    lines = source.splitlines()
    tree = ast.parse(source)
    collector = _Collector()
    collector.visit(tree)
    seen: dict[str, int] = {}
    out = []
    for site, qualname, stmt in collector.sites:
        node = site.node
        start = site.start or (node.lineno, node.col_offset)
        end = site.end or (node.end_lineno, node.end_col_offset)
        text = lines[start[0] - 1].strip()
        key = f"{rel}|{qualname}|{text}|{site.description}"
        seen[key] = seen.get(key, 0) + 1
        digest = hashlib.sha1(f"{key}|{seen[key]}".encode()).hexdigest()[:8]
        out.append(Mutant(digest, start[0], end[0], start[1], qualname, site.description,
                          site.replacement, end[1], _header_lines(stmt)))
    return out


def apply(source: str, m: Mutant) -> str:
    """The module source with mutant ``m`` applied (a text splice, the rest left as it is)."""
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for ln in lines:
        offsets.append(offsets[-1] + len(ln))

    def pos(line: int, col: int) -> int:  # ast columns are utf-8 byte offsets
        return offsets[line - 1] + len(lines[line - 1].encode()[:col].decode())

    a, b = pos(m.line, m.col), pos(m.end_line, m.end_col)
    return source[:a] + m.replacement + source[b:]


# --------------------------------------------------------------------------- equivalents

def equivalents() -> dict[str, str]:
    """Mutant ids declared equivalent in docs/testing.md, with their reasons."""
    if not DOC.exists():
        return {}
    out = {}
    for line in DOC.read_text().splitlines():
        m = re.match(r"^\|\s*`([0-9a-f]{8})`\s*\|(.*)\|\s*$", line)
        if m:
            out[m.group(1)] = m.group(2).split("|")[-1].strip()
    return out


# --------------------------------------------------------------------------- test selection

def module_name(arg: str) -> tuple[str, Path]:
    """``gipro.methods.rank`` or ``src/gipro/methods/rank.py`` -> (dotted name, path)."""
    if arg.endswith(".py"):
        path = (Path.cwd() / arg).resolve()
        rel = path.relative_to(ROOT / "src")
        dotted = ".".join(rel.with_suffix("").parts)
    else:
        dotted = arg
        path = ROOT / "src" / Path(*arg.split(".")).with_suffix(".py")
    if dotted.endswith(".__init__"):
        dotted = dotted[: -len(".__init__")]
    if not path.exists():
        raise SystemExit(f"no module file {path}")
    return dotted, path


def importing_tests(dotted: str, root: Path = ROOT) -> list[str]:
    """Test files (relative to ``root``) that import ``dotted`` by any spelling."""
    parent, _, leaf = dotted.rpartition(".")
    found = []
    for f in sorted((root / "tests").glob("test_*.py")):
        tree = ast.parse(f.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import) and any(
                    a.name == dotted or a.name.startswith(dotted + ".") for a in node.names):
                break
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and (
                    node.module == dotted or node.module.startswith(dotted + ".")
                    or (node.module == parent and any(a.name == leaf for a in node.names))):
                break
        else:
            continue
        found.append(str(f.relative_to(root)))
    return found


# --------------------------------------------------------------------------- running

_LINE = 1_000_000  # line numbers of the traced files are packed as file * _LINE + line


class _Trace:
    """A pytest plugin recording, per test, the lines of the target files that it executes.

    Lines run while a test sets up a fixture wider than a function (module, session) are also
    credited to every other test using that fixture, since a mutant there changes what they all
    receive. Lines run outside any test (imports, collection) are kept apart: a mutant on such a
    line (a default value, a module constant) is given every test.
    """

    def __init__(self, targets: list[str]) -> None:
        # a line of target file i is recorded as i * _LINE + line
        self.base = {t: i * _LINE for i, t in enumerate(targets)}
        # functions shipped by value to Dask's workers (closures, lambdas: cloudpickle) run
        # as code named "<dynamic-code>"; their qualified name and first line say whose
        self.dynamic: dict[tuple[str, int], int | None] = {}
        for t, b in self.base.items():
            stack = [compile(Path(t).read_text(encoding="utf-8"), t, "exec")]
            while stack:
                code = stack.pop()
                key = (code.co_qualname, code.co_firstlineno)
                self.dynamic[key] = b if key not in self.dynamic else None  # (ambiguous)
                stack.extend(c for c in code.co_consts if isinstance(c, type(code)))
        self.tracers: dict[int, object] = {}
        self.outside: set[int] = set()
        self.current = self.outside
        self.lines: dict[str, set[int]] = {}
        self.setup_lines: dict[str, set[int]] = {}
        self.wide: dict[str, set[str]] = {}  # test -> names of its non-function fixtures
        self.seconds: dict[str, float] = {}
        self.failed: list[str] = []

    def _global(self, frame, event, arg):
        code = frame.f_code
        b = self.base.get(code.co_filename)
        if b is None:
            if code.co_filename != "<dynamic-code>":
                return None
            b = self.dynamic.get((code.co_qualname, code.co_firstlineno))
            if b is None:
                return None
        self.current.add(b + frame.f_lineno)
        return self._local_of(b)

    def _local_of(self, b: int):
        """The line tracer of the target file recorded from ``b`` (one per file)."""
        tracer = self.tracers.get(b)
        if tracer is None:
            def tracer(frame, event, arg):
                if event == "line":
                    self.current.add(b + frame.f_lineno)
                return tracer
            self.tracers[b] = tracer
        return tracer

    def pytest_configure(self, config):
        sys.settrace(self._global)
        # threads started from here on (the tests' in-process Dask workers) are traced too;
        # their lines go to the test running at the time
        threading.settrace(self._global)

    def pytest_runtest_setup(self, item):
        info = getattr(item, "_fixtureinfo", None)
        defs = getattr(info, "name2fixturedefs", {}) if info is not None else {}
        self.wide[item.nodeid] = {n for n, d in defs.items()
                                  if d and str(getattr(d[-1], "scope", "function")).split(".")[-1]
                                  .lower() not in ("function",)}
        self.current = self.setup_lines.setdefault(item.nodeid, set())
        sys.settrace(self._global)

    def pytest_runtest_call(self, item):
        self.current = self.lines.setdefault(item.nodeid, set())
        sys.settrace(self._global)

    def pytest_runtest_teardown(self, item):
        self.current = self.lines.setdefault(item.nodeid, set())

    def pytest_runtest_logreport(self, report):
        if report.failed:
            self.failed.append(report.nodeid)
        self.seconds[report.nodeid] = self.seconds.get(report.nodeid, 0.0) + report.duration
        if report.when == "teardown":
            self.current = self.outside

    def covers(self) -> dict[str, list[int]]:
        """Test -> the lines a mutant must reach to change what that test sees."""
        out = {n: set(ls) for n, ls in self.lines.items()}
        users: dict[str, set[str]] = {}
        for node, names in self.wide.items():
            for name in names:
                users.setdefault(name, set()).add(node)
        for node, ls in self.setup_lines.items():
            out.setdefault(node, set()).update(ls)
            for name in self.wide.get(node, ()):
                for other in users.get(name, ()):
                    out.setdefault(other, set()).update(ls)
        return {n: sorted(ls) for n, ls in out.items()}


class _Select:
    """A pytest plugin keeping only the chosen tests, in the chosen order."""

    def __init__(self, order: list[str]) -> None:
        self.rank = {n: i for i, n in enumerate(order)}
        self.first_failure = ""

    def pytest_collection_modifyitems(self, session, config, items):
        keep = [it for it in items if it.nodeid in self.rank]
        keep.sort(key=lambda it: self.rank[it.nodeid])
        config.hook.pytest_deselected(items=[it for it in items if it.nodeid not in self.rank])
        items[:] = keep


PYTEST_ARGS = ["-q", "-p", "no:cacheprovider", "--no-header", "-o", "addopts=",
               "--doctest-modules"]


def _child(work: Path, files: list[str], plugin: object, log: Path | None) -> int:
    """Run pytest in this (forked) process; return its exit code."""
    os.setpgid(0, 0)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # a run started in the background inherits an ignored SIGINT, and so would the programs
    # the tests start (tests that interrupt a run): Python's own handler, as in a terminal
    signal.signal(signal.SIGINT, signal.default_int_handler)
    fd = os.open(str(log) if log else os.devnull, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.chdir(work)
    sys.path[:0] = [str(work / "src"), str(work)]  # as `python -m pytest` run from the copy
    import pytest

    # a mutant's run stops at its first failure; the baseline runs every test (-x there
    # would leave every test after the first failing one out of the trace)
    first = ["-x"] if isinstance(plugin, _Select) else []
    return int(pytest.main([*first, *PYTEST_ARGS, *files], plugins=[plugin]))


def start_forked(work: Path, files: list[str], plugin: object, log: Path | None = None,
                 after=None) -> int:
    """Fork and run pytest in the child; the child's pid."""
    pid = os.fork()
    if pid == 0:  # child
        code = 3
        try:
            code = _child(work, files, plugin, log)
            if after is not None:
                after(plugin)
        finally:
            os._exit(code)
    return pid


def poll_forked(pid: int, t0: float, timeout: float) -> tuple[bool, int | None]:
    """(finished, exit code or None after a timeout); kills the child's group past ``timeout``."""
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        return True, os.waitstatus_to_exitcode(status)
    if time.perf_counter() - t0 > timeout:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        return True, None
    return False, None


def run_forked(work: Path, files: list[str], plugin: object, timeout: float,
               log: Path | None = None, after=None) -> tuple[int | None, float]:
    """Fork, run pytest in the child, wait at most ``timeout`` s; (exit code or None, seconds)."""
    t0 = time.perf_counter()
    pid = start_forked(work, files, plugin, log, after)
    while True:
        finished, code = poll_forked(pid, t0, timeout)
        if finished:
            return code, time.perf_counter() - t0
        time.sleep(0.02)


def scratch_copy(rev: str | None = None) -> Path:
    """A copy of the working tree's tracked and new files (or of commit ``rev``), compiled."""
    work = Path(tempfile.mkdtemp(prefix="gipro-mutation-"))
    if rev is not None:
        tar = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True,
                             check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(work)], input=tar, check=True)
    else:
        listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout.splitlines()
        for rel in listed:
            src = ROOT / rel
            if src.is_file():
                dst = work / rel
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)
    compileall.compile_dir(str(work / "src"), quiet=2)
    return work


def _tree_key(work: Path, files: list[str], targets: list[str]) -> str:
    """A key of the scratch tree's sources and tests and of what is traced."""
    h = hashlib.sha1("\0".join([*files, "|", *targets]).encode())
    for sub in ("src", "tests"):
        for f in sorted((work / sub).rglob("*.py")):
            h.update(str(f.relative_to(work)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


def _drop_bytecode(path: Path) -> None:
    for pyc in (path.parent / "__pycache__").glob(path.stem + ".*.pyc"):
        pyc.unlink()


def _fmt(m: Mutant, source_lines: list[str]) -> str:
    where = f"L{m.line} {m.qualname}"
    return f"{m.id}  {where}: {m.description}  | {source_lines[m.line - 1].strip()[:70]}"


def score_of(records: list[dict], equiv: set[str]) -> tuple[int, int, int]:
    """(killed, non-equivalent mutants run, equivalent mutants among them) of a result file."""
    run = [r for r in records if r.get("status")]
    eq = sum(r["id"] in equiv for r in run)
    live = [r for r in run if r["id"] not in equiv]
    killed = sum(r["status"] in ("killed", "timeout") for r in live)
    return killed, len(live), eq


def scores_table(before: Path, after: Path) -> str:
    """Markdown rows: module, mutants, equivalent, score before and after (from result files
    kept in ``before`` and ``after``, e.g. ``.mutation/before`` and ``.mutation/after``)."""
    equiv = set(equivalents())
    rows = ["| module | mutants | equivalent | killed before | killed after |",
            "|---|---:|---:|---:|---:|"]
    for f in sorted(after.glob("*.json")):
        a = json.loads(f.read_text())
        ka, na, ea = score_of(a["mutants"], equiv)
        b_txt = "--"
        if (before / f.name).exists():
            b = json.loads((before / f.name).read_text())
            kb, nb, eb = score_of(b["mutants"], equiv)
            sampled = nb < na * 0.9 or nb + eb < b.get("total", 0) * 0.9
            b_txt = f"{100 * kb / nb:.1f} % ({kb}/{nb}{', sample' if sampled else ''})"
        total = a.get("total", na + ea)  # every mutant of the module, run or not
        a_txt = f"{100 * ka / na:.1f} % ({ka}/{na}{', sample' if na + ea < total * 0.9 else ''})"
        rows.append(f"| `{a['module']}` | {total} | {ea} | {b_txt} | {a_txt} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("module", nargs="?", help="dotted name (gipro.methods.rank) or file path")
    p.add_argument("--table", nargs=2, metavar=("BEFORE", "AFTER"),
                   help="print the scores of the result files in two folders as a Markdown "
                        "table (e.g. .mutation/before .mutation/after), run nothing")
    p.add_argument("--sample", type=int, help="run a random sample of this many mutants")
    p.add_argument("--seed", type=int, default=0, help="seed of the sample (default 0)")
    p.add_argument("--survivors", action="store_true",
                   help="run only the mutants that survived the last run of this module")
    p.add_argument("--ids", help="comma-separated mutant ids to run")
    p.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    p.add_argument("--show", metavar="ID", help="print one mutant as a diff")
    p.add_argument("--tests", nargs="+", help="test files to use instead of the importing ones")
    p.add_argument("--all-tests", action="store_true",
                   help="every test file (narrowed to the tests that run each mutated line): "
                        "for modules used through the build rather than imported by tests")
    p.add_argument("--trace-targets", nargs="+", metavar="PATH",
                   help="also trace these module files in the baseline run, so that runs of "
                        "them with the same tests reuse it (e.g. every src/gipro/steps/*.py)")
    p.add_argument("--timeout", type=float, default=4.0,
                   help="time limit per mutant as a multiple of the traced baseline (min 20 s)")
    p.add_argument("--log", action="store_true", help="keep each mutant's pytest output")
    p.add_argument("--rev", help="test the module and tests of this commit instead of the "
                   "working tree (e.g. the scores before a change)")
    p.add_argument("--jobs", type=int, default=1,
                   help="mutants run at a time, each in its own copy of the tree (default 1)")
    p.add_argument("--wait", action="store_true",
                   help="wait for a running mutation run to finish instead of stopping")
    args = p.parse_args(argv)
    if args.table:
        print(scores_table(Path(args.table[0]), Path(args.table[1])))
        return 0
    if not args.module:
        p.error("a module is needed")

    dotted, path = module_name(args.module)
    if not (args.show or args.list):  # the module and tests are read once the turn has come
        lock = open(LOCK, "w")  # held until the process ends
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (0 if args.wait else fcntl.LOCK_NB))
        except BlockingIOError:
            print(f"another mutation run holds {LOCK}; run one at a time (or --wait)",
                  file=sys.stderr)
            return 2
    rel = str(path.relative_to(ROOT))
    if args.rev:
        source = subprocess.run(["git", "show", f"{args.rev}:{rel}"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout
    else:
        source = path.read_text()
    lines = source.splitlines()
    mutants = mutants_of(source, rel)
    equiv = equivalents()
    by_id = {m.id: m for m in mutants}
    if args.show:
        m = by_id[args.show]
        diff = difflib.unified_diff(source.splitlines(True), apply(source, m).splitlines(True),
                                    rel, rel + " (mutant " + m.id + ")", n=2)
        sys.stdout.write(f"{_fmt(m, lines)}\n" + "".join(diff))
        return 0
    if args.list:
        for m in mutants:
            flag = "  [equivalent]" if m.id in equiv else ""
            print(_fmt(m, lines) + flag)
        print(f"{len(mutants)} mutants of {dotted}")
        return 0

    OUT.mkdir(exist_ok=True)
    out_file = OUT / (f"{dotted}@{args.rev}.json" if args.rev else f"{dotted}.json")
    previous: dict[str, dict] = {}
    if out_file.exists():
        previous = {r["id"]: r for r in json.loads(out_file.read_text())["mutants"]}
    current = {m.id for m in mutants}

    def save(ran: list[Mutant]) -> list[dict]:
        """Merge ``ran`` into the result file; its records of the module's present mutants."""
        for m in ran:
            previous[m.id] = asdict(m)
        records = [r for k, r in previous.items() if k in current]
        out_file.write_text(json.dumps({"module": dotted, "total": len(mutants),
                                        "mutants": records}, indent=1))
        return records

    chosen = [m for m in mutants if m.id not in equiv]
    if args.ids:
        wanted = set(args.ids.split(","))
        chosen = [m for m in mutants if m.id in wanted]
    elif args.survivors:
        chosen = [m for m in chosen
                  if m.id not in previous or previous[m.id]["status"] in ("survived", "uncovered")]
    if args.sample and args.sample < len(chosen):
        chosen = sorted(random.Random(args.seed).sample(chosen, args.sample),
                        key=lambda m: (m.line, m.col))

    if os.nice(0) < 10:
        os.nice(10 - os.nice(0))  # heavy and long: give way to interactive work
    import importlib

    # imported once here, shared by every forked run (gipro itself never is)
    for lib in ("numpy", "pandas", "scipy.stats", "scipy.optimize", "scipy.spatial",
                "hypothesis", "hypothesis.extra.numpy", "pydantic", "yaml", "pytest", "typer",
                "rich.console", "jinja2", "openpyxl"):
        try:
            importlib.import_module(lib)
        except ImportError:
            pass

    work = scratch_copy(args.rev)
    if args.all_tests:
        files = [str(f.relative_to(work)) for f in sorted((work / "tests").glob("test_*.py"))]
        # the doctests of every traced module, so that one baseline serves each of them
        for t in sorted({rel, *(str(Path(t)) for t in args.trace_targets or [])}):
            if ">>>" in (work / t).read_text(encoding="utf-8"):
                files.append(t)
    else:
        files = args.tests or importing_tests(dotted, work)
        if ">>>" in source:
            files = [*files, rel]
    os.environ.setdefault("GIPRO_SHARED", str(ROOT.parent / "shared"))
    target = work / rel
    print(f"{dotted}: {len(mutants)} mutants ({len(equiv.keys() & by_id.keys())} equivalent), "
          f"running {len(chosen)}; tests: {' '.join(files)}", flush=True)
    works = [work]
    running: dict[int, tuple] = {}  # pid -> (job, mutant, start, limit, tries, files, order, log)
    try:
        # 1. baseline with a line trace: which test runs which line, and how long it takes
        # (kept in .mutation/trace-<key>.json for the same files, targets and tree)
        targets = sorted({rel, *(str(Path(t)) for t in args.trace_targets or [])})
        trace_file = OUT / f"trace-{_tree_key(work, files, targets)}.json"

        def dump(plugin: _Trace) -> None:
            trace_file.write_text(json.dumps({"targets": targets, "lines": plugin.covers(),
                                              "seconds": plugin.seconds,
                                              "outside": sorted(plugin.outside),
                                              "failed": plugin.failed}))

        secs = 0.0
        if not trace_file.exists():
            _drop_bytecode(target)
            code, secs = run_forked(work, files, _Trace([str(work / t) for t in targets]),
                                    7200, work / "baseline.log", after=dump)
            if code not in (0, 1) or not trace_file.exists():
                print((work / "baseline.log").read_text()[-3000:])
                print(f"baseline run failed (exit {code})", file=sys.stderr)
                return 2
        trace = json.loads(trace_file.read_text())
        k = trace["targets"].index(rel) * _LINE
        trace["lines"] = {n: [v - k for v in ls if k < v < k + _LINE]
                          for n, ls in trace["lines"].items()}
        trace["outside"] = [v - k for v in trace["outside"] if k < v < k + _LINE]
        failed = set(trace["failed"])
        if failed:
            print(f"note: {len(failed)} test(s) fail without any mutant and are left out: "
                  + ", ".join(sorted(failed)[:5]))
        seconds = {n: s for n, s in trace["seconds"].items() if n not in failed}
        covers: dict[int, list[str]] = {}
        for node, ls in trace["lines"].items():
            if node in failed:
                continue
            for ln in ls:
                covers.setdefault(ln, []).append(node)
        outside = set(trace["outside"])
        print(f"baseline: {len(seconds)} tests, {secs:.1f} s traced", flush=True)

        # 2. one run per mutant, up to --jobs at a time, each job in its own copy of the tree
        works += [scratch_copy(args.rev) for _ in range(args.jobs - 1)]
        counts: dict[str, int] = {}
        t_all = time.perf_counter()
        queue = list(chosen)
        free = list(range(len(works)))
        done_n = 0

        def finish(m: Mutant, status: str) -> None:
            nonlocal done_n
            m.status = status
            counts[m.status] = counts.get(m.status, 0) + 1
            done_n += 1
            save([m])  # written as it goes: a run stopped halfway keeps what it found
            if m.status not in ("killed", "timeout"):
                print(f"  {m.status.upper():9s} {_fmt(m, lines)}", flush=True)
            elif done_n % 25 == 0:
                print(f"  {done_n}/{len(chosen)} done, {time.perf_counter() - t_all:.0f} s",
                      flush=True)

        while queue or running:
            while queue and free:
                m = queue.pop(0)
                span = range(m.stmt_lines[0], m.stmt_lines[1] + 1)
                if any(ln in outside for ln in span):
                    tests = set(seconds)  # runs at import (defaults, constants): every test
                else:
                    tests = {n for ln in span for n in covers.get(ln, [])}
                order = sorted(tests, key=lambda n: (seconds.get(n, 0.0), n))
                m.tests = len(order)
                if not order:
                    finish(m, "uncovered")
                    continue
                job = free.pop()
                target = works[job] / rel
                target.write_text(apply(source, m))
                _drop_bytecode(target)  # a stale .pyc of the last mutant must never be used
                limit = max(20.0, args.timeout * (3.0 + sum(seconds[n] for n in order)))
                needed = [f for f in files if any(n.split("::")[0] == f for n in order)]
                log = works[job] / f"{m.id}.log" if args.log else None
                t0 = time.perf_counter()
                pid = start_forked(works[job], needed, _Select(order), log)
                running[pid] = (job, m, t0, limit, 1, needed, order, log)
            time.sleep(0.05)
            for pid in list(running):
                job, m, t0, limit, tries, needed, order, log = running[pid]
                finished, code = poll_forked(pid, t0, limit)
                if not finished:
                    continue
                del running[pid]
                m.seconds = time.perf_counter() - t0
                if code is None and tries == 1:  # a busy machine, or a loop? 3 x the time
                    t1 = time.perf_counter()
                    new = start_forked(works[job], needed, _Select(order), log)
                    running[new] = (job, m, t1, 3 * limit, 2, needed, order, log)
                    continue
                if code in (4, 5):
                    print(f"  ! pytest exit {code} for {m.id} (selection problem)")
                finish(m, "timeout" if code is None else "survived" if code == 0
                       else "error" if code in (4, 5) else "killed")
                free.append(job)
    finally:
        for pid in running:  # stopped halfway (Ctrl-C): no run outlives the tool
            try:
                os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        for w in works:
            shutil.rmtree(w, ignore_errors=True)

    # 3. results: every mutant run is in the result file; print the score
    records = save([])
    status = {r["id"]: r["status"] for r in records}
    n_eq = len(equiv.keys() & current)
    known = [k for k in current if k not in equiv and k in status]
    killed = sum(status[k] in ("killed", "timeout") for k in known)
    survivors = [by_id[k] for k in known if status[k] in ("survived", "uncovered", "error")]
    print(f"this run: {len(chosen)} mutants, " + ", ".join(f"{v} {k}" for k, v in
                                                           sorted(counts.items())))
    if survivors:
        print("surviving mutants:")
        for m in sorted(survivors, key=lambda m: (m.line, m.col)):
            print(f"  {status[m.id]:9s} {_fmt(m, lines)}")
    score = 100.0 * killed / len(known) if known else float("nan")
    scope = "all" if len(known) == len(mutants) - n_eq else f"{len(known)} run so far of"
    print(f"SCORE {dotted}: {killed}/{len(known)} killed = {score:.1f} % "
          f"({scope} {len(mutants) - n_eq} non-equivalent mutants; {n_eq} equivalent)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
