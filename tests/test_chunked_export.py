"""gipro export and the analyses that rebuild a recipe, on a Dask cluster (chunked over
units), against the same commands in one process.

Expected values: the in-memory export of the same recipe and data (``gipro export --format
parquet``), whose tables are checked against hand calculations and COINr elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from tests.test_chunked import panel, write_case
from typer.testing import CliRunner

import gipro
from gipro.chunked import ChunkedBuild
from gipro.cli import app
from gipro.errors import InputError

pytest.importorskip("distributed")


def same_table(got: pd.DataFrame, ref: pd.DataFrame, name: str) -> None:
    """Same columns and rows; numbers within 1e-9, everything else equal."""
    assert list(got.columns) == list(ref.columns), name
    assert len(got) == len(ref), name
    for col in ref.columns:
        a, b = got[col], ref[col]
        if pd.api.types.is_numeric_dtype(b.dtype) and not pd.api.types.is_bool_dtype(b.dtype):
            np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=0,
                                       atol=1e-9, err_msg=f"{name}.{col}")
        else:
            assert a.astype(str).tolist() == b.astype(str).tolist(), f"{name}.{col}"


@pytest.fixture(scope="module")
def case(tmp_path_factory) -> Path:
    """A recipe with missing values, treatment, partial scores and 3 periods."""
    folder = tmp_path_factory.mktemp("case")
    rng = np.random.default_rng(11)
    return write_case(folder, panel(rng, 10, 3, 0.2), [
        {"step": "treat", "winmax": 1}, {"step": "normalise"},
        {"step": "aggregate", "min_availability": 0.5}], row_group_units=3)


def test_export_on_a_cluster_writes_the_in_memory_tables(client, case, tmp_path):
    mem, dk = tmp_path / "mem", tmp_path / "dk"
    res = CliRunner().invoke(app, ["export", str(case), "--format", "parquet", "--out",
                                   str(mem)])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(app, ["export", str(case), "--scheduler",
                                   client.scheduler.address, "--out", str(dk)])
    assert res.exit_code == 0, res.output
    assert "no progress tables" in res.output
    progress = {"progress_index", "progress_indicators", "improvers", "contributions",
                "leading_factors", "progress_summary"}
    ref_names = {p.stem for p in mem.glob("*.parquet")}
    steps = {n for n in ref_names if n.startswith("treat.")} - {"treat.summary"}
    assert steps == {"treat.changes"}  # (a table of every value changed: not on a cluster)
    assert {p.stem for p in dk.glob("*.parquet")} == ref_names - progress - steps
    assert (dk / "results.parquet").is_dir()  # a folder of parts
    for name in sorted(ref_names - progress - steps - {"log", "about"}):
        same_table(pd.read_parquet(dk / f"{name}.parquet"),
                   pd.read_parquet(mem / f"{name}.parquet"), name)
    log, ref = pd.read_parquet(dk / "log.parquet"), pd.read_parquet(mem / "log.parquet")
    assert list(log.columns) == list(ref.columns)
    same_table(log.drop(columns=["seconds", "notes"]), ref.drop(columns=["seconds", "notes"]),
               "log")
    assert log["notes"].str.contains("chunked over units").all()
    about, ref = pd.read_parquet(dk / "about.parquet"), pd.read_parquet(mem / "about.parquet")
    same_table(about, ref[ref["table"].str.removesuffix(".parquet").isin(
        ref_names - progress - steps)].reset_index(drop=True), "about")
    listed = (dk / "gipro-manifest.json").read_text(encoding="utf-8")
    assert '"export"' in listed and '"results.parquet"' in listed


def test_python_export_of_a_chunked_build(client, case, tmp_path):
    from gipro.report import write_workbook_tables

    build = ChunkedBuild(case, client=client, block_units=4).run()
    with pytest.raises(InputError, match=r"export of a build on a Dask cluster: the tables "
                       r"are written as Parquet"):
        write_workbook_tables(tmp_path / "csv", build, "csv")
    files = write_workbook_tables(tmp_path / "dk", build, "parquet", lang="zh")
    assert {"ranking", "results", "raw", "treated", "log", "about"} <= set(files)
    assert files["log.yaml"].name == "log.yaml" and files["log.yaml"].exists()
    mem = gipro.run(case)
    ref = mem.results()
    got = build.results()  # the chunked build reads its results back from the export
    np.testing.assert_allclose(got["score"], ref["score"], rtol=0, atol=1e-9)
    assert got["rank"].tolist() == ref["rank"].tolist()
    names = pd.read_parquet(files["results"])["unit_name"].astype(str)
    from gipro.labels import with_names

    expected = with_names(mem.results(), getattr(mem.source_panel, "units", None),
                          mem.framework, "zh")["unit_name"].astype(str)
    assert names.tolist() == expected.tolist()


@pytest.mark.parametrize("args, message", [
    (["--workers", "2", "--format", "xlsx"], "gipro export on a Dask cluster writes Parquet"),
    (["--workers", "2", "--format", "csv"], "not csv"),
    (["--workers", "2", "--base", "2001"], "makes no progress tables"),
    (["--workers", "2", "--out", "t.xlsx"], "writes a folder of Parquet tables"),
    (["--memory-limit", "1GB"], "--memory-limit applies to the local cluster"),
])
def test_export_usage_errors_on_a_cluster(args, message, tmp_path):
    res = CliRunner().invoke(app, ["export", "--out", str(tmp_path / "o"), *args],
                             env={"COLUMNS": "400"})  # (a later --out wins)
    assert res.exit_code == 2
    assert message in res.output
    assert not (tmp_path / "o").exists()


@pytest.fixture(scope="module")
def variant(case) -> Path:
    """``case`` with geometric aggregation: the ranks move."""
    spec = yaml.safe_load(case.read_text(encoding="utf-8"))
    spec["steps"][-1] = {"step": "aggregate", "method": "geometric", "shift": 1.0,
                         "min_availability": 0.5}
    path = case.parent / "variant.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_compare_on_a_cluster_as_in_memory(client, case, variant, tmp_path, suffix):
    ref = gipro.compare(gipro.run(case), gipro.run(variant))
    assert (ref["abs_rank_change"] > 0).any()  # (the variant moves units)
    out = tmp_path / f"diff{suffix}"
    res = CliRunner().invoke(app, ["compare", str(case), str(variant), "--scheduler",
                                   client.scheduler.address, "--out", str(out)])
    assert res.exit_code == 0, res.output
    got = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    same_table(got, ref, "compare")
    mem = tmp_path / f"mem{suffix}"
    res_mem = CliRunner().invoke(app, ["compare", str(case), str(variant), "--out", str(mem)])
    assert res.output.replace(str(out), "") == res_mem.output.replace(str(mem), "")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # builds removed


def test_compare_parts_of_chunked_builds(client, case, variant, tmp_path):
    from gipro.compare import compare_parts

    a = ChunkedBuild(case, client=client, block_units=4).run()
    b = ChunkedBuild(variant, client=client, block_units=3).run()
    with pytest.raises(InputError, match=r"call \.write\(folder\) first"):
        next(compare_parts(a, b))
    a.write(tmp_path / "a")
    b.write(tmp_path / "b")
    parts = list(compare_parts(a, b, codes=["IDX", "D1"]))
    assert [set(p["code"]) for p in parts] == [{"IDX"}, {"D1"}]
    ref = gipro.compare(gipro.run(case), gipro.run(variant), codes=["IDX", "D1"])
    same_table(pd.concat(parts, ignore_index=True), ref, "compare_parts")
    with pytest.raises(InputError, match=r"codes \['nope'\] are not in both builds' results"):
        next(compare_parts(a, b, codes=["nope"]))


@pytest.mark.parametrize("command", ["progress", "remove", "coherence", "report", "chart",
                                     "scenario", "stats"])
def test_analyses_that_do_not_run_on_a_cluster_say_why(command, tmp_path):
    from gipro.cli import NOT_ON_CLUSTER

    args = {"chart": ["chart", "ranking"], "scenario": ["scenario", "x.yaml", "s.yaml"]}.get(
        command, [command])
    for option in (["--workers", "2"], ["--scheduler", "tcp://127.0.0.1:1"]):
        res = CliRunner().invoke(app, [*args, *option], env={"COLUMNS": "400"})
        assert res.exit_code == 2, res.output
        assert (f"gipro {command} does not run on a Dask cluster: {NOT_ON_CLUSTER[command]}"
                in res.output)


@pytest.mark.parametrize("treat", [
    {"step": "treat", "winmax": 2},
    {"step": "treat", "winmax": 1, "scope": "pooled", "fallback": "log_ct"},
])
def test_run_on_a_cluster_writes_the_small_step_tables(client, tmp_path, treat):
    """details/treat.summary (per period and indicator: moments before and after, values
    winsorised) as in memory; details/treat.changes (every value changed) is not made."""
    rng = np.random.default_rng(31)
    x = panel(rng, 14, 3, 0.1)
    x[:, :2, 0] *= 40.0  # outliers: something to winsorise or transform
    recipe = write_case(tmp_path, x, [treat, {"step": "normalise"}, {"step": "aggregate"}])
    mem = gipro.run(recipe)
    mem.write(tmp_path / "mem", format="parquet")
    ref = pd.read_parquet(tmp_path / "mem" / "details" / "treat.summary.parquet")
    assert (ref["winsorised_high"] > 0).any() or ref["status"].str.contains("transform").any()
    build = ChunkedBuild(recipe, client=client, block_units=4).run()
    files = build.write(tmp_path / "dk")
    assert "details/treat.summary" in files
    same_table(pd.read_parquet(tmp_path / "dk" / "details" / "treat.summary.parquet"), ref,
               "treat.summary")
    assert (tmp_path / "mem" / "details" / "treat.changes.parquet").exists()
    assert not (tmp_path / "dk" / "details" / "treat.changes.parquet").exists()


def test_export_honours_results_aggregates(client, case, tmp_path):
    """``results: aggregates`` (a big build's choice): the export's results hold the
    aggregates only, in memory and on a cluster alike (as results.parquet of gipro run)."""
    from gipro.report import write_workbook_tables

    spec = yaml.safe_load(case.read_text(encoding="utf-8"))
    recipe = case.parent / "aggregates.yaml"
    recipe.write_text(yaml.safe_dump({**spec, "results": "aggregates"}), encoding="utf-8")
    mem = write_workbook_tables(tmp_path / "mem", gipro.run(recipe), "parquet",
                                progress=False)
    with ChunkedBuild(recipe, client=client, block_units=4) as build:
        dk = write_workbook_tables(tmp_path / "dk", build.run(), "parquet")
    ref = pd.read_parquet(mem["results"])
    assert set(ref["code"].astype(str)) == {"IDX", "D0", "D1"}
    same_table(pd.read_parquet(dk["results"]), ref, "results")
