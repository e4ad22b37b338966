"""Bad input at the boundary: data files (CSV, Excel, Parquet; long and wide), YAML (recipes,
frameworks), numbers too large for float64, and the command line's exit codes and messages.

Each test feeds one kind of bad input and checks the documented outcome
(``docs/bad-input.md``): a :class:`~gipro.errors.GiproError` whose message names the file,
row, column, unit or indicator and says how to fix it, or a documented policy. Expected
values are hand calculations stated in the docstrings.
"""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from gipro import Build, Framework, FrameworkError, InputError, MethodError, Panel, read_panel
from gipro.cli import EXIT_INTERNAL, app, main
from gipro.framework import Name, _NodeSpec, load_framework
from gipro.recipe import Recipe, load_recipe

runner = CliRunner()
nan = np.nan


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- data files
@pytest.mark.parametrize("name", ["d.xlsx", "d.xls", "d.parquet"])
def test_damaged_binary_files(tmp_path, name):
    """A damaged or mislabelled file is an input error naming the file, never a parser's
    own exception (zipfile.BadZipFile, pyarrow.ArrowInvalid...)."""
    path = write(tmp_path, name, b"PK\x03\x04 not really a spreadsheet")
    with pytest.raises(InputError, match=rf"cannot read .*{name}"):
        read_panel(path)


def test_missing_file_folder_and_unknown_type(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_panel(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="is a folder"):
        read_panel(tmp_path)
    with pytest.raises(InputError, match=r"unknown data file type '\.json'"):
        read_panel(write(tmp_path, "d.json", "{}"))


def test_blank_rows_are_skipped_and_row_numbers_stay_exact(tmp_path):
    """Blank lines and rows of empty cells (Excel's ',,,') carry no data and are skipped;
    messages still give the file's own row numbers (the bad cell is on line 5)."""
    text = "unit,period,x\nA,2020,1\n\n,,\nB,2020,oops\n"
    with pytest.raises(InputError, match=r"row 5: 'oops'"):
        read_panel(write(tmp_path, "d.csv", text))
    p = read_panel(write(tmp_path, "ok.csv", "unit,period,x\nA,2020,1\n\n,,\nB,2020,2\n"))
    assert p.values["x"].tolist() == [1.0, 2.0]


def test_columns_without_header(tmp_path):
    """A column with values but no header (a merged header cell) is an error naming its
    letter; an empty column without header (a trailing separator) is dropped."""
    with pytest.raises(InputError, match=r"column C \(number 3\).*no header"):
        read_panel(write(tmp_path, "d.csv", "unit,period,\nA,2020,1\n"))
    p = read_panel(write(tmp_path, "t.csv", "unit,period,x,\nA,2020,1,\nB,2020,2,\n"))
    assert p.indicator_codes == ["x"]


def test_header_spelled_differently_is_pointed_out(tmp_path):
    with pytest.raises(InputError) as e:
        read_panel(write(tmp_path, "d.csv", "Unit,period,x\nA,2020,1\n"))
    assert "the file has 'Unit'" in str(e.value)


@pytest.mark.parametrize(("cell", "message"), [
    ("1e23", "out of range"), ("FY2020", "non-numeric values in column 'period'"),
    ("2020.5", "not a whole number"), ("", "missing period"),
])
def test_bad_periods(tmp_path, cell, message):
    with pytest.raises(InputError, match=message):
        read_panel(write(tmp_path, "d.csv", f"unit,period,x\nA,{cell},1\nB,2020,2\n"))


def test_excel_date_as_period_is_named(tmp_path):
    import datetime as dt

    path = tmp_path / "d.xlsx"
    pd.DataFrame({"unit": ["A"], "period": [dt.datetime(2020, 1, 1)], "x": [1.0]}).to_excel(
        path, index=False)
    with pytest.raises(InputError, match=r"column 'period'.*row 2"):
        read_panel(path)


def test_excel_sheet_choice(tmp_path):
    path = tmp_path / "d.xlsx"
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame({"unit": ["A"], "period": [2020], "x": [1.0]}).to_excel(
            xw, sheet_name="data", index=False)
    assert read_panel(path, sheet="data").values["x"].tolist() == [1.0]
    with pytest.raises(InputError, match=r"no sheet 'Data'.*\n.*sheets: data"):
        read_panel(path, sheet="Data")
    with pytest.raises(InputError, match="no sheet number 3"):
        read_panel(path, sheet=3)


def test_empty_group_cell_is_missing_not_a_group(tmp_path):
    """An empty group cell means "no group" (B17: the unit is not imputed from a group named
    ''); a text such as 'NA' (North America) stays a group label."""
    text = "unit,period,x,region\nA,2020,1,\nB,2020,2,NA\nC,2020,3,NA\n"
    p = read_panel(write(tmp_path, "d.csv", text), groups=["region"])
    assert pd.isna(p.units.loc["A", "region"]) and p.units.loc["B", "region"] == "NA"


def test_unit_metadata_file_is_checked(tmp_path):
    data = write(tmp_path, "d.csv", "unit,period,x\nA,2020,1\nB,2020,2\n")
    cases = {
        "dup.csv": ("unit,name\nA,Alpha\nA,Alpha 2\nB,Beta\n",
                    r"duplicate unit codes in unit metadata .*dup\.csv: \['A'\]"),
        "space.csv": ("unit,name\nA ,Alpha\nB,Beta\n", r"space\.csv.*\n.*whitespace: 'A '"),
        "empty.csv": ("unit,name\n,Alpha\nA,a\nB,b\n", r"empty code in column 'unit' in "
                                                       r".*empty\.csv, rows 2"),
        "nocode.csv": ("code,name\nA,Alpha\n", r"needs a 'unit' column"),
    }
    for name, (text, message) in cases.items():
        with pytest.raises(InputError, match=message):
            read_panel(data, units=write(tmp_path, name, text))
    ok = read_panel(data, units=write(tmp_path, "ok.csv", "unit,name,g\nA,Alpha,\nB,Beta,N\n"))
    assert pd.isna(ok.units.loc["A", "g"]) and ok.units.loc["B", "g"] == "N"


def test_parquet_with_index_columns(tmp_path):
    """pandas writes a named index into Parquet; it is read back as columns."""
    df = pd.DataFrame({"period": [2020, 2020], "x": [1.0, 2.0]},
                      index=pd.Index(["A", "B"], name="unit"))
    df.to_parquet(tmp_path / "d.parquet")
    assert read_panel(tmp_path / "d.parquet").values["x"].tolist() == [1.0, 2.0]


# ---------------------------------------------------------------- YAML
FW = ("code: t\naggregates:\n  - {code: IDX}\nindicators:\n"
      "  - {code: x, parent: IDX, direction: 1}\n  - {code: y, parent: IDX, direction: -1}\n")
DATA = "unit,period,x,y\nA,2020,1,2\nB,2020,2,3\nC,2020,3,1\n"


def files(tmp_path: Path, recipe: str) -> Path:
    write(tmp_path, "fw.yaml", FW)
    write(tmp_path, "d.csv", DATA)
    return write(tmp_path, "r.yaml", recipe)


@pytest.mark.parametrize(("recipe", "key", "lines"), [
    ("framework: fw.yaml\ndata: {path: d.csv}\ndata: {path: other.csv}\n", "data", (2, 3)),
    ("framework: fw.yaml\ndata: {path: d.csv}\nsteps:\n"
     "  - {step: normalise, method: minmax, method: zscore}\n", "method", (4, 4)),
])
def test_duplicate_yaml_keys_in_a_recipe(tmp_path, recipe, key, lines):
    """PyYAML keeps the last of two equal keys silently; gipro refuses, naming both lines."""
    with pytest.raises(InputError, match=rf"key '{key}' appears twice .*line {lines[0]}, "
                                         rf"again on line {lines[1]}"):
        load_recipe(files(tmp_path, recipe))


def test_duplicate_yaml_keys_in_a_framework(tmp_path):
    path = write(tmp_path, "fw.yaml", FW + "  - {code: z, parent: IDX, direction: 1, "
                                           "direction: -1}\n")
    with pytest.raises(InputError, match="key 'direction' appears twice"):
        load_framework(path)


def test_recipe_not_utf8_and_not_a_mapping(tmp_path):
    with pytest.raises(InputError, match="not UTF-8"):
        load_recipe(write(tmp_path, "r.yaml", "framework: t\n".encode("utf-16")))
    with pytest.raises(InputError, match="expected a mapping"):
        load_recipe(write(tmp_path, "r.yaml", "- just a list\n"))
    with pytest.raises(InputError, match="not valid YAML"):
        load_recipe(write(tmp_path, "r.yaml", "framework: [unclosed\n"))


def _models(tp: object, seen: set[type]) -> None:
    """Every pydantic model reachable from a type annotation."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if tp in seen:
            return
        seen.add(tp)
        for f in tp.model_fields.values():
            _models(f.annotation, seen)
        return
    for arg in typing.get_args(tp):
        _models(arg, seen)
    if isinstance(tp, types.UnionType):
        for arg in tp.__args__:
            _models(arg, seen)


def test_every_yaml_model_rejects_unknown_keys():
    """Every model a YAML file is validated with (recipe, framework, park framework and
    indicator catalogue, sensitivity configuration, scenarios file) forbids unknown keys."""
    from gipro.parks.model import Catalogue, RequirementFramework
    from gipro.scenario.spec import ScenarioFile
    from gipro.sensitivity.inputs import SensitivityConfig

    seen: set[type] = set()
    for root in (Recipe, _NodeSpec, Name, RequirementFramework, Catalogue, SensitivityConfig,
                 ScenarioFile):
        _models(root, seen)
    names = {m.__name__ for m in seen}
    assert {"Recipe", "DataSpec", "PeriodRange", "NormaliseStep", "AggregateStep", "AggMethod",
            "TreatStep", "IndicatorTreatment", "WeightStep", "ImputeStep", "ScreenStep",
            "DenominateStep", "_NodeSpec", "Name", "Requirement", "VerdictRule",
            "IndicatorDef", "StepAlternatives", "WeightNoise", "SensitivityConfig",
            "ScenarioFile", "Scenario", "Change", "EvaluationOptions", "Question",
            "TargetSpec"} <= names
    lax = [m.__name__ for m in seen if m.model_config.get("extra") != "forbid"]
    assert not lax, f"models that ignore unknown keys: {lax}"


@pytest.mark.parametrize(("entry", "where"), [
    ("{step: normalise, metod: minmax}", "steps.0.normalise.metod"),
    ("{step: aggregate, by_level: {2: {method: geometric, shfit: 1}}}",
     "steps.0.aggregate.by_level.2.shfit"),
    ("{step: treat, indicators: {x: {winmax: 1, foo: 2}}}", "steps.0.treat.indicators.x.foo"),
    ("{step: screen, min_avail: 0.5}", "steps.0.screen.min_avail"),
    ("{step: impute, methd: mean}", "steps.0.impute.methd"),
    ("{step: weight, method: equal, level: 1, colour: red}", "steps.0.weight.colour"),
    ("{step: denominate, denominator: {x: y}}", "steps.0.denominate.denominator"),
    ("{step: nonsense}", "steps.0: unknown 'step': 'nonsense'; use one of"),
    ("{method: minmax}", "steps.0: missing key 'step'"),
])
def test_unknown_keys_in_steps_are_named(tmp_path, entry, where):
    recipe = f"framework: fw.yaml\ndata: {{path: d.csv}}\nsteps:\n  - {entry}\n"
    with pytest.raises(InputError) as e:
        load_recipe(files(tmp_path, recipe))
    assert where in str(e.value)


@pytest.mark.parametrize(("recipe", "where"), [
    ("framework: fw.yaml\ndata: {path: d.csv, seperator: ';'}\n", "data.seperator"),
    ("framework: fw.yaml\ndata: {path: d.csv}\nperiods: {start: 2020, stop: 2021}\n",
     "periods"),
    ("framework: fw.yaml\ndata: {path: d.csv}\nstep: []\n", "step: unknown key"),
])
def test_unknown_keys_in_the_recipe_are_named(tmp_path, recipe, where):
    with pytest.raises(InputError, match=where):
        load_recipe(files(tmp_path, recipe))


def test_unknown_keys_in_a_framework_are_named():
    with pytest.raises(FrameworkError, match="unknown key 'indicator'"):
        Framework.from_dict({"aggregates": [{"code": "IDX"}], "indicators": [
            {"code": "x", "parent": "IDX", "direction": 1}], "indicator": []})
    with pytest.raises(FrameworkError, match=r"indicator 'x': field 'dierction'"):
        Framework([{"code": "x", "parent": "IDX", "direction": 1, "dierction": 1}],
                  [{"code": "IDX"}])
    with pytest.raises(FrameworkError, match=r"field 'name.fr'"):
        Framework([{"code": "x", "parent": "IDX", "direction": 1,
                    "name": {"en": "X", "fr": "X"}}], [{"code": "IDX"}])


# ---------------------------------------------------------------- numbers too large
def panel_of(values: dict[str, list[float]], units: list[str]) -> Panel:
    idx = pd.MultiIndex.from_product([units, [2020]], names=["unit", "period"])
    return Panel(pd.DataFrame(values, index=idx))


def tiny(values, steps, units=("A", "B", "C")):
    fw = Framework([{"code": c, "parent": "IDX", "direction": 1} for c in values],
                   [{"code": "IDX"}])
    return Build({"framework": "t", "data": {"dataset": "t"}, "steps": steps},
                 framework=fw, panel=panel_of(values, list(units))).run()


@pytest.mark.parametrize("method", ["minmax", "zscore", "dist_max", "normal_cdf"])
def test_values_near_the_float_limit_are_an_error(method):
    """Values of +-1e308 (new-user report #8): x - min overflows float64, which used to give
    scores of 1.0 or NaN with exit code 0. Now a MethodError names the step and the largest
    value with its unit and indicator."""
    with pytest.raises(MethodError) as e:
        tiny({"x": [1e308, -1e308, 0.0], "y": [1.0, 2.0, 3.0]},
             [{"step": "normalise", "method": method}, {"step": "aggregate"}])
    msg = str(e.value)
    assert "step 'normalise'" in msg and "overflow" in msg
    assert "1e+308 (x, unit A, period 2020)" in msg


def test_a_ratio_that_overflows_is_an_error():
    """1e300 / 1e-10 is beyond float64: the denominate step stops instead of passing inf."""
    idx = pd.MultiIndex.from_product([["A", "B"], [2020]], names=["unit", "period"])
    panel = Panel(pd.DataFrame({"x": [1e300, 1.0], "pop": [1e-10, 1.0]}, index=idx))
    fw = Framework([{"code": "x", "parent": "IDX", "direction": 1}], [{"code": "IDX"}])
    with pytest.raises(MethodError, match="step 'denominate'"):
        Build({"framework": "t", "data": {"dataset": "t"},
               "steps": [{"step": "denominate", "denominators": {"x": "pop"}}]},
              framework=fw, panel=panel).run()


def test_large_but_representable_values_are_fine():
    """1e150 is large but every intermediate fits: min-max gives the hand values 0, 0.5, 1."""
    b = tiny({"x": [0.0, 0.5e150, 1e150]}, [{"step": "normalise", "range": [0, 1]},
                                             {"step": "aggregate"}])
    assert b.data("normalised")["x"].tolist() == [0.0, 0.5, 1.0]


# ---------------------------------------------------------------- nothing lost: labels
def test_units_left_out_by_the_recipe_are_in_the_exclusions():
    b = Build({"framework": "t", "data": {"dataset": "t"}, "units": ["A", "B"]},
              framework=Framework([{"code": "x", "parent": "IDX", "direction": 1}],
                                  [{"code": "IDX"}]),
              panel=panel_of({"x": [1.0, 2.0, 3.0]}, ["A", "B", "C"])).run()
    ex = b.exclusions()
    assert ex.to_dict("records") == [{"unit": "C", "period": None, "step": "recipe",
                                      "reason": "not selected: not in the recipe's units: list"}]


def test_every_step_error_names_the_step():
    """A kernel's error surfaces with the step (and, for aggregation, the aggregate)."""
    with pytest.raises(MethodError, match=r"^step 'aggregate', aggregate IDX \(topsis\): "):
        tiny({"x": [1.0, 1.0, 1.0], "y": [2.0, 2.0, 2.0]},
             [{"step": "normalise", "method": "rank", "constant": "midpoint"},
              {"step": "aggregate", "method": "topsis"}])


def test_constant_indicator_dropped_before_a_weight_step():
    """constant: drop then entropy weights: the dropped indicator gets weight 0 and the
    others are weighted among themselves (here x alone: weight 1)."""
    b = tiny({"x": [1.0, 2.0, 4.0], "y": [5.0, 5.0, 5.0]},
             [{"step": "normalise", "constant": "drop"},
              {"step": "weight", "method": "entropy", "output": "ew"},
              {"step": "aggregate", "weights": "ew"}])
    assert b.weights["ew"].weights["y"] == 0.0
    assert b.weights["ew"].weights["x"] == pytest.approx(1.0)
    assert b.data("aggregated")["IDX"].tolist() == pytest.approx([0.0, 100 / 3, 100.0])


# ---------------------------------------------------------------- command line
@pytest.fixture
def project(tmp_path):
    files(tmp_path, "framework: fw.yaml\ndata: {path: d.csv}\n")
    write(tmp_path, "bad_cell.yaml", "framework: fw.yaml\ndata: {path: bad.csv}\n")
    write(tmp_path, "bad.csv", "unit,period,x,y\nA,2020,1,2\nB,2020,two,3\n")
    write(tmp_path, "const.yaml", "framework: fw.yaml\ndata: {path: const.csv}\n")
    write(tmp_path, "const.csv", "unit,period,x,y\nA,2020,1,2\nB,2020,1,3\n")
    write(tmp_path, "s.yaml", "recipe: r.yaml\ninputs:\n  - {input: step, step: normalise, "
                              "param: method, values: [minmax, zscore]}\n")
    write(tmp_path, "s_dup.yaml", "recipe: r.yaml\nrecipe: r.yaml\n")
    write(tmp_path, "sc_key.yaml", "scenarios:\n  - name: a\n    changes:\n      - {op: pct, "
                                   "indicators: [x], change_pct: 5, colour: red}\n")
    write(tmp_path, "sc_dup.yaml", "scenarios:\n  - name: a\n    name: b\n")
    return tmp_path


@pytest.mark.parametrize(("args", "code", "first_line"), [
    (["run", "{p}/r.yaml", "--out", "{p}/o"], 0, None),
    (["run", "{p}/nope.yaml", "--out", "{p}/o"], 1, "error: recipe"),
    (["run", "{p}/bad_cell.yaml", "--out", "{p}/o"], 1, "error: non-numeric values in column "
                                                      "'x'"),
    (["run", "{p}/const.yaml", "--out", "{p}/o"], 1, "error: step 'normalise': minmax "
                                                   "normalisation of a constant indicator"),
    (["run", "{p}/r.yaml", "--out", "{p}/d.csv"], 1, "error: cannot write outputs"),
    (["run", "--no-such-option"], 2, None),
    (["run", "{p}/r.yaml", "--top", "0"], 2, None),
    (["progress", "{p}/r.yaml", "--out", "{p}/o"], 1, "error: progress needs a build with at "
                                                     "least two periods"),
    (["progress", "{p}/r.yaml", "--top", "-3"], 2, None),
    (["progress", "--base", "x"], 2, None),
    (["assess", "--example", "--out", "{p}/oa", "--framework", "hj274"], 0, None),
    (["assess", "{p}/nope.csv"], 1, "error: park data file not found"),
    (["assess", "{p}/bad.csv"], 1, "error: park data in"),
    (["assess", "--framework", "xyz"], 2, None),
    (["assess", "--example", "--tolerance", "5"], 2, None),  # a share: 0.05, not 5 (%)
    (["assess", "{p}/bad.csv", "--decimal", ";"], 2, None),
    (["assess", "{p}/bad.csv", "--thousands", "x"], 2, None),
    (["assess", "--example", "--year", "1990"], 1, "error: year 1990 is not in the park data"),
    (["assess", "--tolerance", "x"], 2, None),
    (["coherence", "{p}/r.yaml", "--method", "kendall"], 2, None),
    (["coherence", "{p}/r.yaml", "--period", "1999"], 1, "error: period 1999"),
    (["sensitivity", "{p}/nope.yaml"], 1, "error: sensitivity configuration"),
    (["sensitivity", "{p}/s.yaml", "--runs", "0"], 2, None),
    (["sensitivity", "{p}/s.yaml", "--runs", "1"], 2, None),
    (["sensitivity", "{p}/s_dup.yaml"], 1, "error: sensitivity configuration"),
    (["sensitivity", "{p}/s.yaml", "--seed", "-1"], 2, None),
    (["sensitivity", "{p}/s.yaml", "--top", "0"], 2, None),
    (["sensitivity"], 2, None),
    (["scenario", "{p}/r.yaml", "{p}/sc_key.yaml"], 1, "error: invalid scenarios file"),
    (["scenario", "{p}/r.yaml", "{p}/sc_dup.yaml"], 1, "error: scenarios file"),
    (["scenario", "{p}/r.yaml", "{p}/nope.yaml"], 1, "error: scenarios file"),
    (["scenario", "{p}/r.yaml"], 2, None),
    (["report", "{p}/r.yaml", "--lang", "fr"], 2, None),
    (["run", "{p}/r.yaml", "--lang", "fr"], 2, None),
    (["progress", "{p}/r.yaml", "--lang", "fr"], 2, None),
    (["assess", "--lang", "fr"], 2, None),
    (["sensitivity", "{p}/s.yaml", "--lang", "fr"], 2, None),
    (["scenario", "{p}/r.yaml", "{p}/sc_key.yaml", "--lang", "fr"], 2, None),
    (["chart", "ranking", "{p}/r.yaml", "--lang", "fr"], 2, None),
    (["report", "{p}/r.yaml", "--out", "{p}/d.csv/r.html"], 1, "error: cannot write the "
                                                              "report"),
    (["export", "{p}/r.yaml", "--out", "{p}/d.csv/r.xlsx"], 1, "error: cannot write the "
                                                              "workbook"),
    (["chart", "nonsense", "{p}/r.yaml"], 2, None),
    (["chart", "ranking", "{p}/r.yaml", "--out", "{p}/c.gif"], 2, None),
    (["chart", "ranking", "{p}/r.yaml", "--scale", "0"], 2, None),
    (["sensitivity", "{p}/s.yaml", "--workers", "2", "--scheduler", "x:1"], 2, None),
    (["--version"], 0, None),
    (["frameworks"], 0, None),
    (["frameworks", "extra"], 2, None),
    (["datasets"], 0, None),
    (["recipes"], 0, None),
    (["no-such-command"], 2, None),
])
def test_exit_codes_of_every_command(project, args, code, first_line):
    """0 success, 1 input error (one 'error:' line, details indented, no traceback), 2 usage."""
    args = [a.format(p=project) for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if first_line:  # one line (not wrapped), then details as '  - ...' lines
        lines = result.output.splitlines()
        assert lines[0].startswith(first_line), result.output
        assert all(line.startswith("  - ") for line in lines[1:]), result.output


def test_debug_shows_the_traceback_and_works_after_the_command(project, capsys):
    """--debug re-raises (the traceback); it is accepted before or after the command."""
    result = runner.invoke(app, ["--debug", "run", str(project / "nope.yaml")])
    assert result.exit_code == 1 and isinstance(result.exception, InputError)
    with pytest.raises(InputError, match=r"nope\.yaml' is neither a built-in recipe nor an "
                                         r"existing file"):
        main(["run", str(project / "nope.yaml"), "--debug"])
    with pytest.raises(SystemExit) as e:
        main(["run", str(project / "nope.yaml")])
    assert e.value.code == 1
    assert "error: recipe" in capsys.readouterr().err


def test_internal_errors_exit_3_without_traceback(monkeypatch, capsys):
    """An unexpected exception is a bug: exit code 3, one line, and how to get the
    traceback; never presented as a user error."""
    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr("gipro.build.Build", boom)  # the commands import it when they run
    with pytest.raises(SystemExit) as e:
        main(["run"])
    assert e.value.code == EXIT_INTERNAL == 3
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: kaboom" in err and "--debug" in err
    assert "Traceback" not in err
    with pytest.raises(RuntimeError, match="kaboom"):
        main(["--debug", "run"])


def test_progress_out_is_a_file(tmp_path):
    (tmp_path / "x").write_text("", encoding="utf-8")
    result = runner.invoke(app, ["progress", "--out", str(tmp_path / "x")])
    assert result.exit_code == 1 and "cannot write outputs" in result.output


def test_optimised_weights_need_enough_observations():
    """Found by the build fuzzer: one unit in two periods gives every child a correlation of
    +-1 with the index (two points), so the proportions were 0/0 and SLSQP ran on inf. Now a
    MethodError names the step and the group."""
    idx = pd.MultiIndex.from_product([["A"], [2000, 2001]], names=["unit", "period"])
    panel = Panel(pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 1.0]}, index=idx))
    fw = Framework([{"code": c, "parent": "IDX", "direction": 1} for c in "xy"],
                   [{"code": "IDX"}])
    with pytest.raises(MethodError, match=r"step 'weight', group IDX: optimised weights .* at "
                                          r"least 3 observations"):
        Build({"framework": "t", "data": {"dataset": "t"},
               "steps": [{"step": "normalise"}, {"step": "weight", "method": "optimise"},
                         {"step": "aggregate", "weights": "weights"}]},
              framework=fw, panel=panel).run()


# ---------------------------------------------------------------- park data
@pytest.mark.parametrize(("text", "message"), [
    ("park,year,indicator,value\n,2020,water_per_iva,7.5\n", r"empty park code in rows \[2\]"),
    ("park,year,indicator,value\nA,1e30,water_per_iva,1\n", "calendar year"),
    ("park;year;indicator;value\nA;2020;water_per_iva;7,5\n", "(?s)semicolon-separated.*sep=';'"),
    ("park,year,indicator,value\n", "no data rows"),
    ("park,year,indicator,value\nA,2020,water_per_iva,\"7,5\"\n", "water_per_iva: '7,5'"),
])
def test_park_data_files(tmp_path, text, message):
    """Park data go through the panel reader: an empty park code used to become a park
    called 'nan', a year of 1e30 overflowed to -9223372036854775808."""
    from gipro.parks import read_park_data

    with pytest.raises(InputError, match=message):
        read_park_data(write(tmp_path, "p.csv", text))


def test_park_data_hash_is_not_a_comment_inside_the_table(tmp_path):
    """'#N/A' is a missing value and 'B #2' a park code; only '#' lines above the header are
    comments (pandas' comment='#' used to cut both rows short)."""
    from gipro.parks import read_park_data

    d = read_park_data(write(tmp_path, "p.csv", "# provenance line\npark,year,indicator,value\n"
                                                "A,2020,water_per_iva,#N/A\n"
                                                "B #2,2020,water_per_iva,8\n"))
    assert d.park_codes == ["A", "B #2"]
    assert d.values[["park", "value"]].values.tolist() == [["B #2", 8.0]]


def test_enterprise_without_park_is_an_error(tmp_path):
    """pandas.factorize gives a missing park the code -1, which indexed the *last* park: the
    enterprise was silently counted in another park. Now an error names the row."""
    from gipro.parks import rollup

    ent = pd.DataFrame({"park": ["P1", None, "P2"], "year": [2020] * 3,
                        "enterprise": ["e1", "e2", "e3"], "value_added": [1.0, 2.0, 3.0]})
    with pytest.raises(InputError, match=r"enterprise records: empty park code in rows \[3\]"):
        rollup(ent)


def test_damaged_park_workbook(tmp_path):
    from gipro.parks import read_park_data

    with pytest.raises(InputError, match=r"not a readable \.xlsx"):
        read_park_data(write(tmp_path, "p.xlsx", b"PK\x03\x04 junk"))


@pytest.mark.parametrize(("periods", "expected"), [
    ("2020", [2020]), ("[2020]", [2020]), ("{start: 2020, end: 2020}", [2020]),
])
def test_periods_forms(tmp_path, periods, expected):
    """One period may be written as a number (new-user report #15 got pydantic's union
    message instead)."""
    r = load_recipe(files(tmp_path, f"framework: fw.yaml\ndata: {{path: d.csv}}\n"
                                    f"periods: {periods}\n"))
    assert r.period_list([2019, 2020]) == expected


@pytest.mark.parametrize(("periods", "message"), [
    ("{start: 2020, end: 2018}", r"periods: end \(2018\) is before start \(2020\)$"),
    ("[2020, x]", r"periods: periods must be .* got \[2020, 'x'\]$"),
    ("{start: 2020, stop: 2021}", r"periods: end: Field required; stop: unknown key"),
])
def test_periods_errors_are_one_plain_line(tmp_path, periods, message):
    with pytest.raises(InputError) as e:
        load_recipe(files(tmp_path, f"framework: fw.yaml\ndata: {{path: d.csv}}\n"
                                    f"periods: {periods}\n"))
    assert len(e.value.details) == 1
    assert re.search(message, e.value.details[0])
