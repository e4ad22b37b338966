"""The command line: the main job and its error handling."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from gipro.cli import app

runner = CliRunner()


def test_run_default_recipe(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Green Industry Progress index (GIP), 2015" in result.output
    assert "Between 2006 and 2015" in result.output and "of 30 units progressed" in result.output
    res = pd.read_csv(out / "results.csv")
    assert res["unit"].nunique() == 30 and sorted(res["period"].unique()) == list(range(2006, 2016))
    assert (out / "stages" / "aggregated.csv").exists() and (out / "recipe.yaml").exists()


def test_bad_recipe_exit_code_one_no_traceback(tmp_path):
    result = runner.invoke(app, ["run", str(tmp_path / "missing.yaml"), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "neither a built-in recipe nor an existing file" in result.output


def test_usage_error_exit_code_two():
    result = runner.invoke(app, ["run", "--no-such-option"])
    assert result.exit_code == 2


def test_list_commands():
    result = runner.invoke(app, ["frameworks"])
    assert result.exit_code == 0 and "china-provinces-green-industry" in result.output
    result = runner.invoke(app, ["datasets"])
    assert result.exit_code == 0 and "30 units x 20 periods" in result.output
