"""A hostile-input corpus: every class of input that once made gipro unsafe, lose data,
answer silently wrong, crash or hang (issue 16), each held to the same rules.

Every command-line case runs ``gipro`` in this process (:func:`gipro.cli.main`, as the
console script does) on small files made here, and checks:

* the exit code (0 success, 1 input error, 2 usage error -- never 3, an internal error);
* on failure, a first line ``error: ...`` naming the file, row, cell or key, and no
  traceback;
* that nothing was written outside the output the command was given, and no input file was
  modified (every file under the test's folder is hashed before and after);
* on success, the numbers (hand calculations in the docstrings).

The interrupt, concurrency and disk-full cases run a second process. The spreadsheet case
opens gipro's CSV outputs with LibreOffice (headless) and checks no formula was evaluated;
it is skipped where LibreOffice is not installed. ``docs/bad-input.md`` lists each class.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gipro import InputError, MethodError
from gipro.cli import main

SRC = str(Path(__file__).resolve().parents[1] / "src")


# ------------------------------------------------------------------ the tiny project
DATA = "unit,period,a,b,c\nU1,2020,0,0,0\nU2,2020,10,20,30\nU3,2020,5,10,15\n"
FRAMEWORK = ("code: t\naggregates:\n  - {code: IDX}\n  - {code: D1, parent: IDX}\n"
             "  - {code: D2, parent: IDX}\nindicators:\n"
             "  - {code: a, parent: D1, direction: 1}\n"
             "  - {code: b, parent: D1, direction: 1}\n"
             "  - {code: c, parent: D2, direction: 1}\n")
STEPS = "steps:\n  - step: normalise\n  - step: aggregate\n"


def project(tmp: Path, data: str = DATA, steps: str = STEPS, framework: str = FRAMEWORK,
            data_opts: str = "") -> Path:
    """``d.csv``, ``fw.yaml`` and ``r.yaml`` in ``tmp``; returns the recipe's path.

    Hand calculation (min-max over the units, 0-100; arithmetic means): U1 0, 0, 0 -> IDX 0;
    U2 is the maximum everywhere -> 100; U3 is half-way everywhere -> 50."""
    (tmp / "d.csv").write_text(data, encoding="utf-8")
    (tmp / "fw.yaml").write_text(framework, encoding="utf-8")
    recipe = tmp / "r.yaml"
    recipe.write_text(f"framework: fw.yaml\ndata: {{path: d.csv{data_opts}}}\n{steps}",
                      encoding="utf-8")
    return recipe


def snapshot(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.is_symlink():
            out[p.relative_to(root).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def gipro(capsys, root: Path, *args: str, out: str | None = None
          ) -> tuple[int, str, str, set[str]]:
    """Run ``gipro ARGS``; returns exit code, stdout, stderr and the files changed under
    ``root`` -- checked to lie under ``out`` (a folder or a file, relative to ``root``)."""
    before = snapshot(root)
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    stdout, stderr = capsys.readouterr()
    after = snapshot(root)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    outside = {k for k in changed if out is None or not (k == out or k.startswith(out + "/"))}
    assert not outside, f"written outside --out {out}: {sorted(outside)}"
    assert "Traceback" not in stderr + stdout
    assert code != 3, stderr
    return code, stdout, stderr, changed


def refused(result, code: int, pattern: str) -> None:
    """An input error (exit 1) or usage error (2) whose message matches ``pattern``; an
    input error's first line is ``error: ...``."""
    got, _, err, _ = result
    assert got == code, err
    flat = " ".join(re.sub(r"[│╭╮╰╯─]", " ", err).split())
    if code == 1:  # the message, then its details (the key or cell when the line names a file)
        assert err.startswith("error: "), err
        assert len(err.splitlines()[0]) < 2_100
    assert re.search(pattern, flat), err


def index_scores(folder: Path) -> dict[str, float]:
    res = pd.read_csv(folder / "results.csv", keep_default_na=False)
    idx = res[res["code"] == "IDX"]
    return {u: float(s) for u, s in zip(idx["unit"], idx["score"], strict=True)}


# ------------------------------------------------------------------ 1. names become paths
@pytest.mark.parametrize("key, value", [
    ("output", "../escape"), ("output", "/tmp/gipro-escape"), ("name", "a/b"),
    ("name", ".."), ("output", "stages")])
def test_recipe_names_that_would_escape_out(tmp_path, capsys, key, value):
    """A step's name or output becomes a file name (stages/<output>.csv,
    details/<name>.<table>.csv): '../', absolute paths and separators are refused before
    anything runs."""
    steps = f"steps:\n  - step: normalise\n    {key}: '{value}'\n  - step: aggregate\n"
    recipe = project(tmp_path, steps=steps)
    r = gipro(capsys, tmp_path, "run", str(recipe), "--out", str(tmp_path / "o"), out="o")
    if value == "stages":  # a plain name is fine
        assert r[0] == 0, r[2]
        return
    refused(r, 1, r"cannot be a file name")
    assert not (tmp_path / "o").exists()
    assert not Path("/tmp/gipro-escape.csv").exists()


# ------------------------------------------------------------------ 2-3. outputs and inputs
def test_output_that_is_an_input_is_refused(tmp_path, capsys):
    """--out on the recipe's own folder would write recipe.yaml (the recipe as run) over the
    recipe itself."""
    recipe = project(tmp_path).rename(tmp_path / "recipe.yaml")
    r = gipro(capsys, tmp_path, "run", str(recipe), "--out", str(tmp_path), out="none")
    refused(r, 1, r"recipe\.yaml is an input of this run: gipro never overwrites what it reads")


def test_excel_and_table_outputs_never_replace_inputs(tmp_path, capsys):
    recipe = project(tmp_path)
    data = tmp_path / "d.csv"
    refused(gipro(capsys, tmp_path, "remove", str(recipe), "--out", str(data), out="none"),
            1, r"is an input of this run")
    refused(gipro(capsys, tmp_path, "compare", str(recipe), str(recipe), "--out",
                  str(recipe), out="none"), 2, r"needs the suffix \.csv or \.parquet")
    refused(gipro(capsys, tmp_path, "run", str(recipe), "--out", str(tmp_path / "o"),
                  "--excel", str(tmp_path / "d.csv"), out="none"), 2, r"suffix \.xlsx")
    refused(gipro(capsys, tmp_path, "run", str(recipe), "--out", str(tmp_path / "o"),
                  "--report", str(tmp_path / "x.doc"), out="none"), 2, r"\.html")


def test_users_files_in_the_output_folder_are_never_touched(tmp_path, capsys):
    """gipro writes and deletes only the files in its manifest: the user's own
    stages/mine.csv survives, a user's results.csv is not overwritten."""
    recipe = project(tmp_path)
    out = tmp_path / "o"
    (out / "stages").mkdir(parents=True)
    (out / "stages" / "mine.csv").write_text("mine\n", encoding="utf-8")
    code, *_ = gipro(capsys, tmp_path, "run", str(recipe), "--out", str(out), out="o")
    assert code == 0
    assert (out / "stages" / "mine.csv").read_text(encoding="utf-8") == "mine\n"
    manifest = json.loads((out / "gipro-manifest.json").read_text(encoding="utf-8"))
    assert manifest["complete"] is True and "stages/mine.csv" not in manifest["files"]["build"]
    assert "results.csv" in manifest["files"]["build"]
    assert not (out / "INCOMPLETE.txt").exists()
    assert index_scores(out) == {"U1": 0.0, "U2": 100.0, "U3": 50.0}

    other = tmp_path / "p"
    other.mkdir()
    (other / "results.csv").write_text("my own results\n", encoding="utf-8")
    r = gipro(capsys, tmp_path, "run", str(recipe), "--out", str(other), out="p")
    refused(r, 1, r"results\.csv exists and gipro did not write it")
    assert (other / "results.csv").read_text(encoding="utf-8") == "my own results\n"


def test_stale_files_of_an_earlier_run_are_removed(tmp_path, capsys):
    """A second run that writes fewer stages removes the first run's extra stage (it is in
    the manifest), and nothing else: not another command's tables in the same folder."""
    recipe = project(tmp_path, data=DATA + "U4,2020,1,7,2\nU5,2020,8,3,9\nU6,2020,4,4,1\n",
                     steps="steps:\n  - step: normalise\n  - step: treat\n"
                     "  - step: aggregate\n")
    out = tmp_path / "o"
    assert gipro(capsys, tmp_path, "run", str(recipe), "--out", str(out), out="o")[0] == 0
    assert (out / "stages" / "treated.csv").exists()
    # another command's outputs in the same folder are kept (their own kind in the manifest)
    assert gipro(capsys, tmp_path, "coherence", str(recipe), "--out", str(out), out="o")[0] == 0
    recipe.write_text("framework: fw.yaml\ndata: {path: d.csv}\n" + STEPS, encoding="utf-8")
    assert gipro(capsys, tmp_path, "run", str(recipe), "--out", str(out), out="o")[0] == 0
    assert not (out / "stages" / "treated.csv").exists()
    assert sorted(p.name for p in (out / "stages").iterdir()) == [
        "aggregated.csv", "normalised.csv", "raw.csv"]
    assert (out / "correlations.csv").exists()
    files = json.loads((out / "gipro-manifest.json").read_text(encoding="utf-8"))["files"]
    assert "correlations.csv" in files["coherence"] and "results.csv" in files["build"]


# ------------------------------------------------------------------ 4. inputs that exhaust
def test_excel_cell_at_column_xfd_is_refused_quickly(tmp_path, capsys):
    """One cell at XFD1 used to make a dense rows x 16,384 grid; now the reader keeps each
    row up to its last value and refuses a value beyond 5,000 columns, naming it."""
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in [["unit", "period", "a", "b", "c"], ["U1", 2020, 0, 0, 0],
                ["U2", 2020, 10, 20, 30], ["U3", 2020, 5, 10, 15]]:
        ws.append(row)
    ws["XFD1"] = "x"
    wb.save(tmp_path / "d.xlsx")
    project(tmp_path)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(recipe.read_text().replace("d.csv", "d.xlsx"), encoding="utf-8")
    t0 = time.perf_counter()
    r = gipro(capsys, tmp_path, "run", str(recipe), "--out", str(tmp_path / "o"), out="o")
    assert time.perf_counter() - t0 < 10
    refused(r, 1, r"column XFD \(number 16,384\) of row 1: more than 5,000 columns")


def test_excel_trailing_empty_cells_are_not_a_grid(tmp_path):
    """Formatted but empty cells far away (a styled XFD column) cost nothing and change
    nothing: the table is read as its values."""
    openpyxl = pytest.importorskip("openpyxl")
    from gipro.panel import read_table

    wb = openpyxl.Workbook()
    ws = wb.active
    for row in [["unit", "period", "a"], ["U1", 2020, 1.5]]:
        ws.append(row)
    ws["XFD900"].number_format = "0.00"  # a styled, empty cell
    wb.save(tmp_path / "d.xlsx")
    df, rows = read_table(tmp_path / "d.xlsx")
    assert df.shape == (1, 3) and rows.tolist() == [2]


def test_fifo_and_device_are_refused(tmp_path, capsys):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    recipe = project(tmp_path)
    (tmp_path / "d.csv").unlink()
    os.mkfifo(tmp_path / "d.csv")
    r = gipro(capsys, tmp_path, "run", str(recipe), "--out", str(tmp_path / "o"), out="o")
    refused(r, 1, r"d\.csv is a FIFO \(named pipe\), not a regular file")
    if Path("/dev/zero").exists():
        r = gipro(capsys, tmp_path, "run", "/dev/zero", "--out", str(tmp_path / "o"), out="o")
        refused(r, 1, r"/dev/zero is a device, not a regular file")


def test_size_caps(tmp_path, capsys, monkeypatch):
    from gipro import paths

    recipe = project(tmp_path)
    monkeypatch.setattr(paths, "MAX_INPUT_BYTES", 20)
    r = gipro(capsys, tmp_path, "run", str(recipe), "--out", str(tmp_path / "o"), out="o")
    refused(r, 1, r"d\.csv is too big to read as data file: \d+ bytes, the limit is 20")


def test_separator_is_taken_literally(tmp_path, capsys):
    """`sep:` was compiled as a regular expression: '(x+x+)+y' backtracked for ever on a
    line of x's. Taken literally it separates nothing, and the file is one column."""
    recipe = project(tmp_path, data="unit,period,a,b,c\n" + "x" * 40 + "\n",
                     data_opts=", sep: '(x+x+)+y'")
    t0 = time.perf_counter()
    r = gipro(capsys, tmp_path, "run", str(recipe), "--out", str(tmp_path / "o"), out="o")
    assert time.perf_counter() - t0 < 10
    assert r[0] == 1 and r[2].startswith("error: ")


@pytest.mark.parametrize("command", ["run", "sensitivity"])
def test_yaml_alias_bomb_is_refused(tmp_path, capsys, command):
    """A 400-byte file of nested aliases ("billion laughs") expands to 9^8 values: as a
    recipe's steps, or as a sensitivity input's values:."""
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
    prev = "a"
    for n in "bcdefgh":
        bomb += f"{n}: &{n} [" + ", ".join([f"*{prev}"] * 9) + "]\n"
        prev = n
    assert len(bomb) < 500
    tail = ("steps: *h\n" if command == "run" else
            "inputs:\n  - {input: step, step: normalise, param: method, values: *h}\n")
    (tmp_path / "r.yaml").write_text(bomb + tail, encoding="utf-8")
    r = gipro(capsys, tmp_path, command, str(tmp_path / "r.yaml"), "--out",
              str(tmp_path / "o"), out="o")
    refused(r, 1, r"aliases \(\*name\) expand to more than 100,000 values")
    assert len(r[2]) < 1_000


def test_long_values_in_messages_are_cut(tmp_path, capsys):
    recipe = project(tmp_path, steps="steps:\n  - step: normalise\n    method: '"
                     + "z" * 50_000 + "'\n  - step: aggregate\n")
    r = gipro(capsys, tmp_path, "run", str(recipe), "--out", str(tmp_path / "o"), out="o")
    assert r[0] == 1 and r[2].startswith("error: ")
    assert len(r[2]) < 5 * 2_100


def test_chart_dimensions_are_bounded(tmp_path, capsys):
    recipe = project(tmp_path)
    for opt, v, msg in (("--width", "100000", r"less than or equal to 10000"),
                        ("--scale", "50", r"50 is not a scale between 0")):
        r = gipro(capsys, tmp_path, "chart", "ranking", str(recipe), opt, v, "--out",
                  str(tmp_path / "c.png"), out="c.png")
        refused(r, 2, msg)
    from gipro.report.images import check_dimensions

    with pytest.raises(InputError, match="megapixels"):
        check_dimensions(10_000, 10_000, 2.0)


# ------------------------------------------------------------------ 5. numbers
@pytest.mark.parametrize("b_values", [("0.3", "0.30000000000000004", "0.3"),
                                      ("1", "1.0000000000001", "1")])
def test_near_constant_columns_are_constant(tmp_path, capsys, b_values):
    """A column constant but for rounding (0.1 + 0.2 in a spreadsheet, values 1e-13
    apart) passed `constant: error` and was spread over [0, 100], ranking a unit first."""
    b1, b2, b3 = b_values
    data = f"unit,period,a,b,c\nU1,2020,0,{b1},0\nU2,2020,10,{b2},30\nU3,2020,5,{b3},15\n"
    recipe = project(tmp_path, data=data)
    r = gipro(capsys, tmp_path, "run", str(recipe), "--out", str(tmp_path / "o"), out="o")
    refused(r, 1, r"indicator b \(no unit\) has the same value [0-9.]+ for every unit")


def test_zscore_and_minmax_kernels_raise_on_near_constant_columns():
    """The documented kernels hold the step's rule when called directly."""
    from gipro.methods.normalise import minmax, zscore

    x = np.array([[0.3], [0.1 + 0.2], [0.3]])
    with pytest.raises(MethodError, match="zero"):
        zscore(x)
    with pytest.raises(MethodError, match="zero range"):
        minmax(x)
    assert zscore(np.array([[1.0], [2.0], [3.0]])).ravel().tolist() == [-1.0, 0.0, 1.0]


def test_thousands_dot_without_decimal_comma(tmp_path, capsys):
    """'2.250' read as 2250 and '2.5' as 2.5 in one column: refused, with the fix."""
    recipe = project(tmp_path, data_opts=", thousands: '.'")
    r = gipro(capsys, tmp_path, "run", str(recipe), "--out", str(tmp_path / "o"), out="o")
    refused(r, 1, r"thousands separator '\.' is also the decimal mark")


def test_row_with_too_few_cells(tmp_path, capsys):
    """A truncated line was read with its last cells missing and the unit scored on part of
    the index; too many cells was already an error, too few now is, naming the row."""
    recipe = project(tmp_path, data=DATA + "U4,2020,1,2\n")
    r = gipro(capsys, tmp_path, "run", str(recipe), "--out", str(tmp_path / "o"), out="o")
    refused(r, 1, r"d\.csv: 1 row\(s\) with fewer cells than the header's 5: row 5 \(4 cells\)")
    ok = project(tmp_path, data=DATA + "U4,2020,1,2,\n")  # an empty last cell is a cell
    assert gipro(capsys, tmp_path, "run", str(ok), "--out", str(tmp_path / "o"), out="o")[0] == 0


# ------------------------------------------------------------------ 6. crashes
def test_compare_with_missing_scores_and_a_subset_of_units(tmp_path, capsys):
    """`gipro compare` crashed ("boolean value of NA is ambiguous") when a unit had no index
    score or the second recipe kept a subset of units. U4 has no data (no score); the
    second recipe keeps U1 and U2 only: min-max over U1, U2 gives U1 0, U2 100, as before."""
    data = DATA + "U4,2020,,,\n"
    a = project(tmp_path, data=data)
    b = tmp_path / "b.yaml"
    b.write_text("framework: fw.yaml\ndata: {path: d.csv}\nunits: [U1, U2]\n" + STEPS,
                 encoding="utf-8")
    code, _, err, _ = gipro(capsys, tmp_path, "compare", str(a), str(b), "--out",
                            str(tmp_path / "c.csv"), out="c.csv")
    assert code == 0, err
    diff = pd.read_csv(tmp_path / "c.csv")
    idx = diff[diff["code"] == "IDX"].set_index("unit")
    assert idx.loc["U2", "score_b"] == 100.0 and idx.loc["U1", "score_b"] == 0.0
    assert pd.isna(idx.loc["U3", "score_b"]) and pd.isna(idx.loc["U4", "rank_improvement"])
    assert idx.loc["U1", "rank_improvement"] == 1  # rank 3 of 3 -> 2 of 2


# ------------------------------------------------------------------ 7. CSV formula injection
HOSTILE_UNITS = ["=1+1", "@SUM(1;2)", "+2+3", "-x", "=HYPERLINK(\"http://example.com\";\"y\")"]


def hostile_project(tmp: Path) -> Path:
    rows = [f'"{u.replace(chr(34), chr(34) * 2)}",2020,{v},{v},{v}'
            for u, v in zip(HOSTILE_UNITS, (0, 10, 5, 2, 8), strict=True)]
    return project(tmp, data="unit,period,a,b,c\n" + "\n".join(rows) + "\n")


def test_csv_outputs_neutralise_formula_cells(tmp_path, capsys):
    """Codes such as =HYPERLINK(...) were written raw and ran when opened in a spreadsheet.
    Text cells starting with = + - @ (not a number), tab or CR get a leading apostrophe;
    numbers (negative ones too) are written as they are. Scores by hand: min-max over
    0, 10, 5, 2, 8 -> 0, 100, 50, 20, 80 (every indicator the same, so the index too)."""
    recipe = hostile_project(tmp_path)
    out = tmp_path / "o"
    code, _, err, _ = gipro(capsys, tmp_path, "run", str(recipe), "--out", str(out), out="o")
    assert code == 0, err
    scores = index_scores(out)
    assert scores == {"'" + u: s for u, s in zip(HOSTILE_UNITS, (0, 100, 50, 20, 80),
                                                 strict=True)}
    for f in ("results.csv", "ranking.csv", "stages/raw.csv", "exclusions.csv"):
        text = (out / f).read_text(encoding="utf-8-sig")
        for line in text.splitlines()[1:]:
            assert not re.match(r'^"?[=+@\t\r]', line), (f, line)
            assert not re.match(r'^"?-[^0-9.]', line), (f, line)


def test_neutralise_keeps_numbers():
    from gipro.tables import neutralise

    df = pd.DataFrame({"=code": ["-3.5", "+2", "-x", "\tx", "ok"], "v": [-1.0, 2, 3, 4, 5]})
    got = neutralise(df)
    assert list(got.columns) == ["'=code", "v"]
    assert got.iloc[:, 0].tolist() == ["-3.5", "+2", "'-x", "'\tx", "ok"]
    assert got["v"].tolist() == [-1.0, 2, 3, 4, 5]
    plain = pd.DataFrame({"a": ["x", "y"]})
    assert neutralise(plain) is plain  # nothing copied when nothing is hostile


def test_libreoffice_evaluates_no_formula(tmp_path, capsys):
    """The CSV files of a run with hostile codes, opened by LibreOffice (headless, converted
    to .xlsx): no cell is a formula. The control -- the same codes written raw -- has
    formulas, so the check can fail."""
    import shutil

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    openpyxl = pytest.importorskip("openpyxl")
    recipe = hostile_project(tmp_path)
    out = tmp_path / "o"
    assert gipro(capsys, tmp_path, "run", str(recipe), "--out", str(out), out="o")[0] == 0
    conv = tmp_path / "conv"
    conv.mkdir()
    shutil.copy(out / "results.csv", conv / "results.csv")
    shutil.copy(tmp_path / "d.csv", conv / "control.csv")  # the raw codes
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless",
                    "--convert-to", "xlsx", "--outdir", str(conv),
                    str(conv / "results.csv"), str(conv / "control.csv")],
                   check=True, capture_output=True, timeout=120)

    def formulas(name: str) -> list[str]:
        wb = openpyxl.load_workbook(conv / name)
        return [c.value for row in wb.active.iter_rows() for c in row
                if c.data_type == "f" or (isinstance(c.value, str) and c.value.startswith("="))]

    assert formulas("control.xlsx"), "the control should hold formulas"
    assert formulas("results.xlsx") == []


def test_park_assessment_csv_outputs_are_neutralised(tmp_path, capsys):
    """A park code =1+1 in the assessment's tables is written '=1+1; a share of 250 % is
    refused naming the row (it used to count as "met")."""
    (tmp_path / "p.csv").write_text(
        "park,year,indicator,value\n=1+1,2020,clean_energy_share_pct,55\n"
        "P2,2020,clean_energy_share_pct,250\n", encoding="utf-8")
    r = gipro(capsys, tmp_path, "assess", str(tmp_path / "p.csv"), "--framework", "eip",
              "--out", str(tmp_path / "o"), out="o")
    refused(r, 1, r"P2, 2020, clean_energy_share_pct: 250 \(row 3; possible: 0 to 100 %\)")
    (tmp_path / "p.csv").write_text(
        "park,year,indicator,value\n=1+1,2020,clean_energy_share_pct,55\n"
        "P2,2020,clean_energy_share_pct,25\n", encoding="utf-8")
    code, _, err, _ = gipro(capsys, tmp_path, "assess", str(tmp_path / "p.csv"),
                            "--framework", "eip", "--out", str(tmp_path / "o"),
                            "--ignore-unknown", out="o")
    assert code == 0, err
    seen = 0
    for f in (tmp_path / "o").glob("*.csv"):
        for line in f.read_text(encoding="utf-8-sig").splitlines()[1:]:
            assert not re.search(r'(^|,)"?=1\+1', line), (f.name, line)
            seen += "'=1+1" in line
    assert seen


def test_park_percent_outside_0_100_is_flagged():
    """A % indicator without a catalogue range (a framework's own) above 100: the check
    column and a warning (the rule panel data share, gipro.units.percent_outside)."""
    from gipro.parks.engine import _percent_range_checks

    t = pd.DataFrame({"ind_unit": ["%", "%", "t"], "value": [250.0, 55.0, 250.0],
                      "park": ["P", "Q", "P"], "year": [2020] * 3,
                      "indicator": ["x", "x", "y"]})
    check, warnings = _percent_range_checks(t, np.array(["", "", ""], dtype=object))
    assert check.tolist() == ["value 250 is outside [0, 100] for an indicator in %: check it",
                              "", ""]
    assert warnings[0].startswith("x is in % but has values outside [0, 100]: P 2020 (250)")


# ------------------------------------------------------------------ 8. plausibility
def test_plausibility_warnings_in_the_log(tmp_path, capsys):
    """One year of a % indicator saved as a fraction, a % above 100 (1 of 22 values: rare,
    so a slip, not a ratio), a tenfold jump: each a WARNING input note (log.yaml, printed),
    the numbers unchanged."""
    fw = FRAMEWORK.replace("{code: c, parent: D2, direction: 1}",
                           "{code: c, parent: D2, direction: 1, unit: '%'}")
    data = ("unit,period,a,b,c\nU1,2019,1,1,92.8\nU1,2020,1,1,0.93\nU2,2019,2,2,95\n"
            "U2,2020,2,2,250\nU3,2019,3,3,50\nU3,2020,3,30,60\n"
            + "".join(f"V{i},{p},4,4,{40 + i}\n" for i in range(8) for p in (2019, 2020)))
    recipe = project(tmp_path, data=data, framework=fw)
    code, out, err, _ = gipro(capsys, tmp_path, "run", str(recipe), "--out",
                              str(tmp_path / "o"), out="o")
    assert code == 0, err
    import yaml

    log = "\n".join(yaml.safe_load((tmp_path / "o" / "log.yaml").read_text(encoding="utf-8"))
                    ["input"])
    assert "c is in % but has values outside [0, 100]: U2 2020 (250)" in log
    assert "one value of a unit is within [0, 1]" in log and "U1 2020 (0.93)" in log
    assert "b jumps ten times or more between adjacent periods: U3 2019-2020 (3 to 30)" in log
    assert "WARNING" in out


def test_negative_denominator(tmp_path, capsys):
    """A negative denominator flipped a ratio's sign and moved the unit: an error naming the
    cell, unless negative: allow (then a WARNING note)."""
    data = "unit,period,a,b,c,pop\nU1,2020,0,0,0,1\nU2,2020,10,20,30,2\nU3,2020,5,10,15,-1\n"
    steps = ("steps:\n  - step: denominate\n    denominators: {a: pop}\n"
             "  - step: normalise\n  - step: aggregate\n")
    recipe = project(tmp_path, data=data, steps=steps)
    r = gipro(capsys, tmp_path, "run", str(recipe), "--out", str(tmp_path / "o"), out="o")
    refused(r, 1, r"negative denominator \(1 values\): a / pop for U3 in 2020 \(-1\)")
    recipe.write_text(recipe.read_text().replace("{a: pop}", "{a: pop}\n    negative: allow"),
                      encoding="utf-8")
    code, _, err, _ = gipro(capsys, tmp_path, "run", str(recipe), "--out", str(tmp_path / "o"),
                            out="o")
    assert code == 0, err
    assert "WARNING: negative denominator" in (tmp_path / "o" / "log.yaml").read_text()


def test_yes_no_attribute_that_is_neither(tmp_path):
    """water_scarce: maybe was read as "no", which changes a verdict."""
    from gipro.parks import read_park_data

    (tmp_path / "i.csv").write_text("park,year,indicator,value\nA,2020,co2_total,1\n"
                                    "B,2020,co2_total,2\nC,2020,co2_total,3\n",
                                    encoding="utf-8")
    (tmp_path / "a.csv").write_text("park,water_scarce\nA,yes\nB,no\nC,maybe\n",
                                    encoding="utf-8")
    with pytest.raises(InputError, match=r"water_scarce: values that are neither yes nor no: "
                                         r"\['maybe'\]"):
        read_park_data(tmp_path / "i.csv", parks=tmp_path / "a.csv")


# ------------------------------------------------------------------ 9. entry points
def test_manual_weights_for_part_of_a_group(tmp_path, capsys):
    """values: {a: 2} leaves b of D1 with the base weight: an error naming b, unless
    others: keep (then a WARNING)."""
    steps = ("steps:\n  - step: normalise\n  - step: weight\n    method: manual\n"
             "    values: {a: 2}\n    output: w\n  - step: aggregate\n    weights: w\n")
    recipe = project(tmp_path, steps=steps)
    r = gipro(capsys, tmp_path, "run", str(recipe), "--out", str(tmp_path / "o"), out="o")
    refused(r, 1, r"manual weights give 1 of the 2 children of D1; missing: b")
    recipe.write_text(recipe.read_text().replace("values: {a: 2}", "values: {a: 2}\n"
                                                 "    others: keep"), encoding="utf-8")
    code, out, err, _ = gipro(capsys, tmp_path, "run", str(recipe), "--out",
                              str(tmp_path / "o"), out="o")
    assert code == 0, err
    assert "manual weights for a only; b keeps 1" in out


def test_framework_from_table_holds_the_yaml_rules():
    """A direction -1 on an aggregate: the YAML path's error from either path."""
    from gipro import Framework, FrameworkError

    table = pd.DataFrame({"iCode": ["IDX", "a"], "Level": [2, 1], "Parent": [None, "IDX"],
                          "Direction": [-1, 1], "Weight": [1, 1],
                          "Type": ["Aggregate", "Indicator"]})
    with pytest.raises(FrameworkError) as from_table:
        Framework.from_table(table)
    with pytest.raises(FrameworkError) as from_yaml:
        Framework.from_dict({"code": "t", "aggregates": [{"code": "IDX", "direction": -1}],
                             "indicators": [{"code": "a", "parent": "IDX", "direction": 1}]})
    assert "IDX" in str(from_table.value) and "IDX" in str(from_yaml.value)


def test_outranking_exact_tie_is_a_tie():
    """Weights 0.1, 0.2, 0.3: unit 0 wins on the first two (0.1 + 0.2 =
    0.30000000000000004 in floating point), unit 1 on the third (0.3): a tie, so Copeland
    gives both 0 (the last bit of the float sum used to decide it)."""
    from gipro.methods.aggregate import copeland, outranking

    x = np.array([[2.0, 2.0, 1.0], [1.0, 1.0, 2.0]])
    w = np.array([0.1, 0.2, 0.3])
    m, _ = outranking(x, w)
    assert m[0, 1] == 0.5 and m[1, 0] == 0.5
    assert copeland(x, w).tolist() == [0.0, 0.0]


def test_rounding_residue_is_no_change_in_progress(tmp_path):
    """A unit whose index is equal in two periods but for rounding (1e-14 relative) did not
    'fall back', and has no contribution shares of +-1e14 (hand: U3's values are the same
    both years, so its change is 0 and its shares undefined)."""
    from gipro import Build
    from gipro.decompose import contributions
    from gipro.progress import change

    data = ("unit,period,a,b,c\nU1,2019,0,0,0\nU2,2019,10,20,30\nU3,2019,5,10,15\n"
            "U1,2020,0,0,0\nU2,2020,10,20,30\nU3,2020,5.00000000000001,10,15\n")
    recipe = project(tmp_path, data=data, steps="steps:\n  - step: normalise\n"
                     "    bounds: pooled\n  - step: aggregate\n")
    build = Build(recipe).run()
    ch = change(build).set_index("unit")
    assert ch.loc["U3", "change"] == 0.0
    shares = contributions(build)
    u3 = shares[shares["unit"] == "U3"]
    assert u3["share"].isna().all() and (u3["contribution"].fillna(0) == 0).all()


def test_sobol_first_order_above_total_is_noted(tmp_path, monkeypatch):
    """S_i <= ST_i in theory; an estimate above it (noise from few runs) gets a note."""
    from gipro import Build
    from gipro.methods import sobol as sob
    from gipro.sensitivity import StepAlternatives, WeightNoise, analysis, uncertainty

    real = sob.sobol_indices

    def noisy(*a, **k):
        est = real(*a, **k)
        est.first[0], est.total[0] = 1.98, 1.01  # the red team's estimates
        return est

    monkeypatch.setattr(analysis, "sobol_indices", noisy)
    build = Build(project(tmp_path)).run()
    res = uncertainty(build, [WeightNoise(spread=0.25),
                              StepAlternatives(step="aggregate", param="method",
                                               values=["arithmetic", "geometric"])],
                      design="sobol", runs=8, seed=1)
    assert any("first-order estimate above the total-order one" in n for n in res.notes)


# ------------------------------------------------------------------ 10. interrupts, locks, disk
SLOW_RUN = textwrap.dedent("""
    import signal, sys, time
    from contextlib import contextmanager
    # Ctrl-C as in a terminal: a suite started in the background (nohup ... &) passes on an
    # ignored SIGINT, and the run would not notice the signal the test sends
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.path.insert(0, {src!r})
    import gipro.tables as t
    real = t.replace_file

    @contextmanager
    def slow(path):
        with real(path) as tmp:
            yield tmp
        open({flag!r}, "a").write(str(path) + "\\n")
        time.sleep({pause})

    t.replace_file = slow
    from gipro.cli import main
    main(sys.argv[1:])
""")


def start_slow(tmp: Path, recipe: Path, out: Path, pause: float = 0.5) -> tuple[
        subprocess.Popen, Path]:
    flag = tmp / "written.txt"
    script = tmp / "slow.py"
    script.write_text(SLOW_RUN.format(src=SRC, flag=str(flag), pause=pause), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), "run", str(recipe), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (flag.exists() and flag.read_text()) and proc.poll() is None:
        assert time.monotonic() < deadline, "the slow run did not start writing"
        time.sleep(0.05)
    return proc, flag


def test_sigint_while_writing_leaves_a_folder_marked_incomplete(tmp_path, capsys):
    """Ctrl-C after the first file: one line on stderr, exit 1, the folder marked
    INCOMPLETE (manifest "complete": false), no temporary file left, every file present
    complete (pandas reads each one whole)."""
    recipe = project(tmp_path)
    out = tmp_path / "o"
    assert gipro(capsys, tmp_path, "run", str(recipe), "--out", str(out), out="o")[0] == 0
    # each file then waits 30 s: the signal lands while writing however slow the machine
    proc, _ = start_slow(tmp_path, recipe, out, pause=30.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[0].startswith(
        "error: interrupted while writing outputs:"), err
    assert "marked incomplete" in err
    assert (out / "INCOMPLETE.txt").exists()
    assert json.loads((out / "gipro-manifest.json").read_text())["complete"] is False
    assert not [p for p in out.rglob("*") if ".gipro-tmp" in p.name]
    assert index_scores(out) == {"U1": 0.0, "U2": 100.0, "U3": 50.0}
    assert gipro(capsys, tmp_path, "run", str(recipe), "--out", str(out), out="o")[0] == 0
    assert not (out / "INCOMPLETE.txt").exists()


def test_two_runs_into_one_folder(tmp_path, capsys):
    """While one gipro command writes a folder, a second one into the same folder is refused
    (exit 1, one line), and the first completes."""
    recipe = project(tmp_path)
    out = tmp_path / "o"
    proc, _ = start_slow(tmp_path, recipe, out, pause=0.3)
    before = time.monotonic()
    try:
        main(["run", str(recipe), "--out", str(out)])
        code = 0
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    still_running = proc.poll() is None
    proc.communicate(timeout=60)
    if not still_running:  # the machine was too slow to overlap: nothing to show
        pytest.skip("the first run ended before the second started "
                    f"({time.monotonic() - before:.1f} s)")
    assert code == 1 and err.startswith(f"error: another gipro command is writing to {out}"), err
    assert proc.returncode == 0
    assert json.loads((out / "gipro-manifest.json").read_text())["complete"] is True
    assert index_scores(out) == {"U1": 0.0, "U2": 100.0, "U3": 50.0}


def test_disk_full_is_one_line_and_marks_the_folder(tmp_path, capsys, monkeypatch):
    """A write failing with ENOSPC (simulated on the third file): exit 1, one line saying
    the folder is marked incomplete, no half file under a real name."""
    import errno

    import gipro.tables as t

    recipe = project(tmp_path)
    out = tmp_path / "o"
    real = t.replace_file
    count = {"n": 0}

    from contextlib import contextmanager

    @contextmanager
    def full(path):
        with real(path) as tmp:
            count["n"] += 1
            if count["n"] == 3:
                tmp.write_bytes(b"half a li")
                raise OSError(errno.ENOSPC, "No space left on device", str(tmp))
            yield tmp

    monkeypatch.setattr(t, "replace_file", full)
    r = gipro(capsys, tmp_path, "run", str(recipe), "--out", str(out), out="o")
    refused(r, 1, r"cannot write outputs to .*: No space left on device; .* is marked "
                  r"incomplete")
    assert (out / "INCOMPLETE.txt").exists()
    assert not [p for p in out.rglob("*") if ".gipro-tmp" in p.name]
    for p in out.rglob("*.csv"):
        assert "half a li" not in p.read_text(encoding="utf-8")


def test_disk_full_on_a_real_small_tmpfs(tmp_path, capsys):
    """The same on a 64 KiB tmpfs (root and a mount-capable machine only; skipped
    otherwise): results.csv of the built-in recipe does not fit."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    try:
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
                            capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    if not ok:
        pytest.skip("cannot mount a tmpfs here")
    try:
        code, _, err, _ = gipro(capsys, tmp_path, "run", "--out", str(mnt / "o"),
                                out="small/o")
        assert code == 1 and err.startswith("error: cannot write outputs to"), err
        assert "No space left on device" in err and "marked incomplete" in err
        assert (mnt / "o" / "INCOMPLETE.txt").exists()
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True, timeout=20)
