"""The command line: the main job and its error handling."""

from __future__ import annotations

import pandas as pd
import pytest
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


# ------------------------------------------------------------ new-user trial 2 fixes
def test_version_without_a_command():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == "gipro 0.1.0"


def test_messages_print_brackets_as_written(monkeypatch):
    """rich markup used to swallow '[low, high]' and '[wastewater_per_iva]' in messages."""
    from gipro.errors import InputError

    def fail(*args, **kwargs):
        raise InputError("values outside [0, inf]: widen with {domains: {x: [low, high]}}",
                         ["write indicators: [wastewater_per_iva]", "[bold]not markup[/]"])

    monkeypatch.setattr("gipro.build.Build", fail)
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 1
    assert "values outside [0, inf]: widen with {domains: {x: [low, high]}}" in result.output
    assert "  - write indicators: [wastewater_per_iva]" in result.output
    assert "  - [bold]not markup[/]" in result.output


def test_notes_and_table_cells_print_brackets_as_written(monkeypatch, tmp_path):
    """Progress notes and unit names in table cells are plain text."""
    from gipro import progress

    real = progress.report

    def with_note(*args, **kwargs):
        rep = real(*args, **kwargs)
        rep.notes.append("break in [2008, 2009] for [gdp]")
        return rep

    monkeypatch.setattr(progress, "report", with_note)
    monkeypatch.setattr(progress, "unit_labels",
                        lambda build: {u: f"[{u}]" for u in build.final.units})
    result = runner.invoke(app, ["progress", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "note: break in [2008, 2009] for [gdp]" in result.output
    assert "[Beijing]" in result.output


def test_every_written_file_is_named(tmp_path):
    """'Wrote 8 files' used to list 7 (weights.csv was missing)."""
    out = tmp_path / "o"
    result = runner.invoke(app, ["run", "--out", str(out)])
    assert result.exit_code == 0
    text = " ".join(result.output.split())  # undo the terminal's line wrapping
    line = text[text.index("Wrote "):]
    on_disk = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()
                     and p.name != "gipro-manifest.json")  # the list of them, not an output
    assert line.startswith(f"Wrote {len(on_disk)} files to {out}: ")
    listed = line.split(": ", 1)[1].split(" 1 unit")[0]
    for rel in on_disk:
        folder, _, name = rel.rpartition("/")
        assert (name if not folder else name.removesuffix(".csv")) in listed, rel
    assert "weights.csv" in listed


def test_progress_table_keeps_the_sign_of_small_changes(tmp_path):
    """Guangdong's change 2006-2015 is -0.03 in the summary; the table printed '+0.0'."""
    result = runner.invoke(app, ["progress", "--out", str(tmp_path)])
    assert result.exit_code == 0
    row = next(x for x in result.output.splitlines() if "Guangdong" in x and "->" in x)
    assert "-0.03" in row and "+0.0 " not in row
    assert "Guangdong (-0.03)" in " ".join(result.output.split())


def test_printed_names_are_the_unit_tables_and_csv_keeps_codes(tmp_path):
    result = runner.invoke(app, ["progress", "--out", str(tmp_path), "--top", "15"])
    assert "Inner Mongolia" in result.output and "InnerMongolia" not in result.output
    assert "InnerMongolia" in set(pd.read_csv(tmp_path / "index_progress.csv")["unit"])


def test_sizes_and_plurals_for_people():
    from gipro.cli import _plural, _size

    assert [_size(n) for n in (5_249_000, 48_300, 999, 1_000)] == [
        "5.2 MB", "48 kB", "999 bytes", "1 kB"]
    assert (_plural(1, "unit"), _plural(2, "unit"), _plural(0, "file")) == (
        "1 unit", "2 units", "0 files")


def test_recipes_listing_equals_the_recipe_module():
    from gipro.cli import _builtin_recipe_names
    from gipro.recipe import builtin_recipes

    assert _builtin_recipe_names() == builtin_recipes()
    result = runner.invoke(app, ["recipes"])
    assert result.output.split() == builtin_recipes()


def test_startup_does_not_load_heavy_modules():
    """gipro --help / --version / recipes: no pandas, scipy, plotly, build, parks, report
    builder, sensitivity or scenarios at import (timings: benchmarks/bench_cli_startup.py)."""
    import subprocess
    import sys

    code = ("import sys, gipro.cli; heavy = ('pandas', 'scipy', 'plotly', 'gipro.build', "
            "'gipro.parks', 'gipro.report.builder', 'gipro.sensitivity', 'gipro.scenario', "
            "'dask', 'openpyxl'); print(sorted(m for m in heavy if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_lazy_package_names_still_work():
    import gipro

    assert callable(gipro.compare) and gipro.Build.__name__ == "Build"
    import gipro.compare  # the submodule must not shadow the function
    assert callable(gipro.compare)
    assert gipro.progress.summary and gipro.parks.assess
    with pytest.raises(AttributeError, match=r"module 'gipro' has no attribute 'no_such_name'"):
        gipro.no_such_name  # noqa: B018


def test_help_texts_show_their_brackets():
    result = runner.invoke(app, ["assess", "--help"], env={"COLUMNS": "200"})
    assert "[parks.csv] [enterprises.csv]" in result.output
    result = runner.invoke(app, ["report", "--help"], env={"COLUMNS": "200"})
    assert "[, period, target]" in result.output and "[, S1_conf, ST_conf]" in result.output


def test_help_texts_name_the_extra_to_install():
    """Rich markup reads "[parquet]" as a style tag: every help text that tells the user to
    install an extra shows the extra's name (found: run's --format and chart said only
    pip install "gipro")."""
    import typer.main

    commands = typer.main.get_command(app).commands
    seen = 0
    for name in commands:
        out = " ".join(runner.invoke(app, [name, "--help"],
                                     env={"COLUMNS": "300"}).output.split())
        assert 'pip install "gipro")' not in out and 'pip install "gipro",' not in out, name
        seen += out.count('pip install "gipro[')
    assert seen >= 2  # run --format and chart at least


def test_run_prints_the_warnings_of_steps(tmp_path):
    """A step's WARNING notes (here a manual weight set covering part of CEF) are printed by
    `gipro run`, not only written to log.yaml."""
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "framework: china-provinces-green-industry\ndata: {dataset: china_provinces}\n"
        "periods: {start: 2006, end: 2015}\nsteps:\n  - step: normalise\n"
        "  - step: weight\n    method: manual\n    values: {co2_intensity_gdp: 2}\n"
        "    others: keep\n  - step: aggregate\n    weights: weights\n", encoding="utf-8")
    result = runner.invoke(app, ["run", str(recipe), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "step weight: WARNING CEF: manual weights for co2_intensity_gdp only" in out
    assert "co2_per_capita keeps 1, co2_industry_per_capita keeps 1 from weight set" in out


def test_ranking_title_names_the_data_set_when_several_aggregate_steps_run(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "framework: china-provinces-green-industry\ndata: {dataset: china_provinces}\n"
        "periods: {start: 2006, end: 2015}\nsteps:\n  - step: normalise\n"
        "    range: [1, 100]\n"
        "  - step: aggregate\n  - step: aggregate\n    name: geo\n    input: normalised\n"
        "    method: geometric\n    output: geometric\n", encoding="utf-8")
    result = runner.invoke(app, ["run", str(recipe), "--out", str(tmp_path / "o"),
                                 "--top", "3"])
    assert result.exit_code == 0, result.output
    assert "[data set 'geometric', the last step's]" in " ".join(result.output.split())


def test_compare_command_writes_the_differences_and_prints_the_largest_moves(tmp_path):
    """`gipro compare A B`: the CSV is gipro.compare(a, b); the title's counts follow from it
    (units whose index rank changes in the last period, mean and largest |change|)."""
    import gipro

    steps = "steps:\n  - step: normalise\n    range: [1, 100]\n  - step: aggregate\n"
    head = ("framework: china-provinces-green-industry\ndata: {dataset: china_provinces}\n"
            "periods: {start: 2006, end: 2015}\n")
    (tmp_path / "a.yaml").write_text(head + steps, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(head + steps + "    method: geometric\n", encoding="utf-8")
    out = tmp_path / "sub" / "cmp.csv"
    result = runner.invoke(app, ["compare", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"),
                                 "--out", str(out), "--top", "3"])
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out)
    ref = gipro.compare(gipro.run(str(tmp_path / "a.yaml")), gipro.run(str(tmp_path / "b.yaml")))
    assert len(got) == len(ref)
    pd.testing.assert_series_equal(got["score_diff"], ref["score_diff"].reset_index(drop=True),
                                   check_dtype=False, rtol=1e-15)
    sel = got[(got["code"] == "GIP") & (got["period"] == 2015)]
    assert (sel["rank_improvement"] == sel["rank_a"] - sel["rank_b"]).all()
    n = int((sel["abs_rank_change"] > 0).sum())
    text = " ".join(result.output.split())
    assert f"GIP, 2015: {n} of 30 units change rank" in text
    assert f"largest {sel['abs_rank_change'].max():.0f}" in text
    bad = runner.invoke(app, ["compare", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"),
                              "--out", str(out), "--code", "XYZ"])
    assert bad.exit_code == 1 and "code 'XYZ' is not in both builds' results" in bad.output


def test_remove_command_hand_example(tmp_path):
    """`gipro remove`: IDX = mean of D1 (a) and D2 (b). Min-max: a X 100, Y 0, Z 50;
    b X 0, Y 80, Z 100 -> IDX X 50, Y 40, Z 75: ranks Z 1, X 2, Y 3. Without D1 (IDX = b):
    Z 1, Y 2, X 3 -> shifts 0, 1, 1: mean 2/3, largest 1. Without D2 (IDX = a): X 1, Z 2,
    Y 3 -> shifts 1, 0, 1: mean 2/3, largest 1."""
    (tmp_path / "d.csv").write_text("unit,period,a,b\nX,2020,10,0\nY,2020,0,8\nZ,2020,5,10\n",
                                    encoding="utf-8")
    (tmp_path / "fw.yaml").write_text(
        "code: t\naggregates:\n  - {code: IDX}\n  - {code: D1, parent: IDX}\n"
        "  - {code: D2, parent: IDX}\nindicators:\n  - {code: a, parent: D1, direction: 1}\n"
        "  - {code: b, parent: D2, direction: 1}\n", encoding="utf-8")
    (tmp_path / "r.yaml").write_text("framework: fw.yaml\ndata: {path: d.csv}\nsteps:\n"
                                     "  - step: normalise\n  - step: aggregate\n",
                                     encoding="utf-8")
    out = tmp_path / "rm.csv"
    result = runner.invoke(app, ["remove", str(tmp_path / "r.yaml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    t = pd.read_csv(out).set_index("code")
    assert t.loc[["D1", "D2"], "mean_abs_rank_shift"].tolist() == pytest.approx([2 / 3, 2 / 3])
    assert t.loc[["D1", "D2"], "max_abs_rank_shift"].tolist() == [1, 1]
