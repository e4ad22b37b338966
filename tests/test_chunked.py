"""Builds chunked over units on a Dask cluster (gipro.chunked) against the in-memory build.

Expected values: the in-memory build of the same recipe and data (:class:`gipro.Build`), whose
numbers are checked against hand calculations and COINr elsewhere. The chunked build must give
every score within 1e-9 and identical ranks, the same exclusions and the same data sets, for
every step and method that claims chunked support, on random panels (hypothesis) cut into
blocks of a few units; and refuse the others before reading any data, naming step and method.

One in-process cluster of 2 workers serves the module (threads: the fast kind for tests; the
fault tests in ``test_chunked_faults.py`` use worker processes).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gipro
from gipro.chunked import ChunkedBuild
from gipro.errors import InputError, MethodError

pytest.importorskip("distributed")


FRAMEWORK = {
    "code": "chunk-test",
    "aggregates": [{"code": "IDX"}, {"code": "D0", "parent": "IDX"},
                   {"code": "D1", "parent": "IDX"}],
    "indicators": [
        {"code": "x0", "parent": "D0", "direction": 1, "target": 50.0,
         "goalposts": [0.0, 40.0], "unit": "t"},
        {"code": "x1", "parent": "D0", "direction": -1, "target": 0.0,
         "goalposts": [0.0, 40.0], "unit": "t", "weight": 2.0},
        {"code": "x2", "parent": "D1", "direction": 1, "target": 50.0,
         "goalposts": [0.0, 40.0], "unit": "t"},
        {"code": "x3", "parent": "D1", "direction": 1, "target": 50.0,
         "goalposts": [0.0, 40.0], "unit": "t"},
    ],
}


def write_case(folder: Path, values: np.ndarray, steps: list[dict], *, groups: bool = False,
               extra: dict | None = None, row_group_units: int = 3) -> Path:
    """A wide Parquet panel (units in row groups of ``row_group_units``), the framework
    and a recipe with ``steps``; returns the recipe's path."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    p, u, k = values.shape
    units = [f"u{i:03d}" for i in range(u)]
    periods = list(range(2001, 2001 + p))
    frame = pd.DataFrame({"unit": np.repeat(units, p), "period": np.tile(periods, u)})
    for j in range(k):
        frame[f"x{j}"] = values[:, :, j].T.reshape(-1)
    if groups:
        frame["region"] = np.repeat([["north", "south", "east"][i % 3] for i in range(u)], p)
    for name, col in (extra or {}).items():
        frame[name] = col.T.reshape(-1)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with pq.ParquetWriter(folder / "data.parquet", table.schema) as w:
        for a in range(0, u, row_group_units):
            w.write_table(table.slice(a * p, row_group_units * p))
    (folder / "framework.yaml").write_text(yaml.safe_dump(FRAMEWORK), encoding="utf-8")
    data = {"path": "data.parquet", "form": "wide"}
    if groups:
        data["groups"] = ["region"]
    recipe = {"name": "t", "framework": "framework.yaml", "data": data, "steps": steps}
    path = folder / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe), encoding="utf-8")
    return path


def assert_same(build: gipro.Build, chunked: ChunkedBuild, out: Path) -> None:
    """Scores within 1e-9, ranks and everything else identical; stages and exclusions too."""
    chunked.write(out)
    mem = build.results()
    got = chunked.results()
    assert list(got.columns) == list(mem.columns)
    assert len(got) == len(mem)
    np.testing.assert_allclose(got["score"].to_numpy(), mem["score"].to_numpy(), rtol=0,
                               atol=1e-9)
    pd.testing.assert_frame_equal(got.drop(columns="score"), mem.drop(columns="score"))
    for name in chunked.kept():
        stage = pd.read_parquet(out / "stages" / f"{name}.parquet")
        ref = build.datasets[name].to_frame().reset_index()
        assert list(stage.columns) == list(ref.columns)
        assert stage["unit"].astype(str).tolist() == ref["unit"].astype(str).tolist()
        np.testing.assert_allclose(stage.iloc[:, 2:].to_numpy(float),
                                   ref.iloc[:, 2:].to_numpy(float), rtol=0, atol=1e-9)
    exc = pd.read_parquet(out / "exclusions.parquet")
    ref = build.exclusions()
    assert exc["unit"].tolist() == ref["unit"].tolist()
    assert exc["reason"].tolist() == ref["reason"].tolist()


def panel(rng: np.random.Generator, n_units: int, n_periods: int, missing: float
          ) -> np.ndarray:
    x = rng.lognormal(1.0, 1.0, size=(n_periods, n_units, 4))
    x[rng.random(x.shape) < missing] = np.nan
    return x


NORMALISERS = [{"method": "minmax"}, {"method": "minmax", "bounds": "per_period"},
               {"method": "zscore", "mean_sd": [100, 10]},
               {"method": "zscore", "bounds": "per_period", "ddof": 0},
               {"method": "normal_cdf"}, {"method": "ampi"}, {"method": "efficacy"},
               {"method": "dist_max", "bounds": "per_period"}, {"method": "target"},
               {"method": "goalposts"}, {"method": "dist_ref", "ref_unit": "u001"},
               {"method": "minmax", "constant": "midpoint"}]
AGGREGATORS = [{"method": "arithmetic"}, {"method": "geometric", "shift": 1.0},
               {"method": "harmonic", "shift": 1.0}, {"method": "generalised", "p": 2.0},
               {"method": "mean_min"}, {"method": "mpi"},
               {"method": "arithmetic", "by_level": {3: "geometric"}, "min_availability": 1.0}]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**16), norm=st.sampled_from(NORMALISERS),
       agg=st.sampled_from(AGGREGATORS), n_units=st.integers(4, 23),
       n_periods=st.integers(1, 4), block=st.integers(1, 6),
       missing=st.sampled_from([0.0, 0.15]), weights=st.booleans())
def test_normalise_and_aggregate_as_in_memory(client, tmp_path_factory, seed, norm, agg,
                                              n_units, n_periods, block, missing, weights):
    folder = tmp_path_factory.mktemp("case")
    rng = np.random.default_rng(seed)
    x = panel(rng, n_units, n_periods, missing)
    x[:, 1, :] = rng.lognormal(1.0, 1.0, size=(n_periods, 4))  # the reference unit: complete
    if norm["method"] == "mpi" or agg["method"] == "mpi":
        norm = {"method": "zscore", "mean_sd": [100, 10]}
    steps = [{"step": "normalise", **norm}]
    if weights:
        steps.append({"step": "weight", "method": "manual", "output": "mine",
                      "values": {"x0": 3.0, "x1": 1.0}})
        agg = {**agg, "weights": "mine"}
    steps.append({"step": "aggregate", **agg})
    recipe = write_case(folder, x, steps)
    try:
        build = gipro.Build(recipe).run()
    except MethodError as exc:  # e.g. a constant indicator: the same error expected
        with pytest.raises(MethodError) as got:
            ChunkedBuild(recipe, client=client, block_units=block).run().write(folder / "out")
        assert str(got.value).split(":")[0] == str(exc).split(":")[0]
        return
    chunked = ChunkedBuild(recipe, client=client, block_units=block).run()
    assert len(chunked.blocks) == -(-n_units // block)
    assert_same(build, chunked, folder / "out")


IMPUTE = [{"step": "impute", "method": "mean"},
          {"step": "impute", "method": "median", "scope": "pooled"},
          {"step": "impute", "method": "median"},
          {"step": "impute", "method": "group_mean", "group": "region"},
          {"step": "impute", "method": "group_median", "group": "region", "scope": "pooled"},
          {"step": "impute", "method": "linear"},
          {"step": "impute", "method": "constant"},
          {"step": "impute", "method": "linear_constant"}]
TREAT = [{"step": "treat", "winmax": 2}, {"step": "treat", "scope": "pooled", "winmax": 4},
         {"step": "treat", "fallback": "log_ct_orig", "on_constant": "allow"},
         {"step": "treat", "fallback": "boxcox", "boxcox_lambda": 0.5},
         {"step": "treat", "indicators": {"x0": {"method": "log_ct"},
                                          "x1": {"force": True, "winmax": 1}}}]
SCREEN = [{"step": "screen", "min_availability": 0.75},
          {"step": "screen", "min_availability": 0.5, "scope": "pooled", "exclude": ["u002"]}]
DENOMINATE = [{"step": "denominate", "denominators": {"x0": "pop", "x3": "pop"},
               "scale": 100.0, "zero": "missing"}]


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**16), den=st.sampled_from([[], DENOMINATE]),
       screen=st.sampled_from([[], *([s] for s in SCREEN)]),
       imp=st.sampled_from([[], *([s] for s in IMPUTE)]),
       treat=st.sampled_from([[], *([s] for s in TREAT)]), n_units=st.integers(5, 24),
       n_periods=st.integers(2, 4), block=st.integers(1, 7))
def test_construction_steps_as_in_memory(client, tmp_path_factory, seed, den, screen, imp,
                                         treat, n_units, n_periods, block):
    """Denominate, screen, impute and treat before min-max and the arithmetic mean: the
    methods that learn from statistics, per block or pooled."""
    folder = tmp_path_factory.mktemp("steps")
    rng = np.random.default_rng(seed)
    x = panel(rng, n_units, n_periods, 0.2)
    x[:, rng.integers(0, n_units), rng.integers(0, 4)] = 1e4  # an outlier to treat
    pop = rng.uniform(0.5, 5.0, size=(n_periods, n_units))
    pop[rng.random(pop.shape) < 0.1] = np.nan
    steps = [*den, *screen, *imp, *treat, {"step": "normalise"}, {"step": "aggregate"}]
    recipe = write_case(folder, x, steps, groups=True, extra={"pop": pop})
    try:
        build = gipro.Build(recipe).run()
    except MethodError as exc:
        with pytest.raises(MethodError) as got:
            ChunkedBuild(recipe, client=client, block_units=block).run().write(folder / "out")
        assert str(got.value).split(":")[0] == str(exc).split(":")[0]
        return
    chunked = ChunkedBuild(recipe, client=client, block_units=block).run()
    assert_same(build, chunked, folder / "out")
    for name, fit in build.fits.items():  # what the steps learnt: the same
        got = chunked.fits[name]
        if name == "treat":
            t1, t2 = fit.treatment, got.treatment
            np.testing.assert_array_equal(t1.mode, t2.mode)
            # the caps are data values: after an imputed mean (sums in another order) they
            # may differ in the last bit
            for a, b in zip((t1.low, t1.high, t1.min, t1.max, t1.lmbda),
                            (t2.low, t2.high, t2.min, t2.max, t2.lmbda), strict=True):
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)
            np.testing.assert_array_equal(fit.labels, got.labels)
            np.testing.assert_allclose(fit.skew, got.skew, rtol=1e-9, atol=1e-12)
        if name == "screen":
            np.testing.assert_array_equal(fit.keep, got.keep)
            assert fit.reasons == got.reasons


def test_python_entry_point_returns_a_chunked_build(client, tmp_path):
    rng = np.random.default_rng(1)
    recipe = write_case(tmp_path, panel(rng, 9, 2, 0.0), [{"step": "normalise"},
                                                           {"step": "aggregate"}])
    b = gipro.run(recipe, client=client)
    assert isinstance(b, ChunkedBuild)
    assert_same(gipro.run(recipe), b, tmp_path / "out")
    log = yaml.safe_load((tmp_path / "out" / "log.yaml").read_text(encoding="utf-8"))
    assert [s["step"] for s in log["steps"]] == ["normalise", "aggregate"]
    assert "chunked over units" in log["steps"][0]["notes"][0]


@pytest.mark.parametrize("steps, named", [
    ([{"step": "normalise", "method": "rank"}, {"step": "aggregate"}], "normalise (rank)"),
    ([{"step": "impute", "method": "knn"}, {"step": "normalise"}, {"step": "aggregate"}],
     "impute (knn)"),
    ([{"step": "treat", "fallback": "boxcox"}, {"step": "normalise"}, {"step": "aggregate"}],
     "treat"),
    ([{"step": "normalise"}, {"step": "aggregate", "by_code": {"D1": "topsis"}}],
     "aggregate (arithmetic)"),
    ([{"step": "normalise"}, {"step": "weight", "method": "pca"},
      {"step": "aggregate", "weights": "weights"}], "weight (pca)"),
])
def test_refused_before_any_data_are_read(client, tmp_path, steps, named, monkeypatch):
    rng = np.random.default_rng(2)
    recipe = write_case(tmp_path, panel(rng, 6, 2, 0.0), steps)
    build = ChunkedBuild(recipe, client=client)
    monkeypatch.setattr(ChunkedBuild, "raw", lambda self: pytest.fail("data read"))
    with pytest.raises(MethodError, match=r"cannot run on a cluster chunked over units") as e:
        build.run()
    assert named in str(e.value)


def test_errors_name_the_unit_of_the_block(client, tmp_path):
    """A value outside a method's domain is found in its block and named as in memory.
    Every indicator's minimum (0 after min-max) is u000's, so one block fails: with bad
    cells in several blocks the first block to fail names its own (docs/cluster.md)."""
    rng = np.random.default_rng(3)
    x = panel(rng, 8, 2, 0.0)
    x[:, 0, :] = 0.001
    recipe = write_case(tmp_path, x, [{"step": "normalise"},
                                      {"step": "aggregate", "method": "geometric"}])
    with pytest.raises(MethodError) as mem:
        gipro.run(recipe)
    with pytest.raises(MethodError) as chk:
        ChunkedBuild(recipe, client=client, block_units=3).run().write(tmp_path / "out")
    assert str(chk.value).split(" (")[0] == str(mem.value).split(" (")[0]
    assert not (tmp_path / "out").exists()  # nothing that looks like an output
    assert not list(tmp_path.glob(".out.partial-*"))


def test_write_refuses_csv_and_reads_back_results(client, tmp_path):
    rng = np.random.default_rng(4)
    recipe = write_case(tmp_path, panel(rng, 5, 2, 0.0), [{"step": "normalise"},
                                                           {"step": "aggregate"}])
    b = ChunkedBuild(recipe, client=client).run()
    with pytest.raises(InputError, match="writes Parquet"):
        b.write(tmp_path / "out", format="csv")
    with pytest.raises(InputError, match="write"):
        b.results()


def test_written_tables_match_the_in_memory_outputs(client, tmp_path):
    """results.parquet as the in-memory build writes it (same columns, rows and names, the
    recipe's ``results: aggregates`` honoured); the folder's manifest lists the outputs."""
    rng = np.random.default_rng(6)
    recipe = write_case(tmp_path, panel(rng, 8, 3, 0.3), [
        {"step": "normalise"}, {"step": "aggregate", "min_availability": 0.5}])
    spec = yaml.safe_load(recipe.read_text(encoding="utf-8"))
    recipe.write_text(yaml.safe_dump({**spec, "results": "aggregates"}), encoding="utf-8")
    gipro.run(recipe).write(tmp_path / "mem", format="parquet")
    ChunkedBuild(recipe, client=client, block_units=3).run().write(tmp_path / "dask")
    mem = pd.read_parquet(tmp_path / "mem" / "results.parquet")
    got = pd.read_parquet(tmp_path / "dask" / "results.parquet")
    assert list(got.columns) == list(mem.columns)
    assert set(got["code"].astype(str)) == {"IDX", "D0", "D1"}
    np.testing.assert_allclose(got["score"], mem["score"], rtol=0, atol=1e-9)
    pd.testing.assert_frame_equal(got.drop(columns="score").astype(str),
                                  mem.drop(columns="score").astype(str))
    part = mem[mem["code"].astype(str).eq("IDX") & (mem["children_scored"] < mem["children"])]
    assert len(part)  # (missing values: some index scores rest on one dimension)
    got_part = ChunkedBuild(recipe, client=client, block_units=3).run()
    got_part.write(tmp_path / "again")
    assert sorted(zip(got_part.partial_scores("IDX")["unit"].astype(str),
                      got_part.partial_scores("IDX")["period"], strict=True)) == sorted(
        zip(part["unit"].astype(str), part["period"], strict=True))
    listed = (tmp_path / "dask" / "gipro-manifest.json").read_text(encoding="utf-8")
    assert '"results.parquet"' in listed and '"stages/normalised.parquet"' in listed


def test_built_in_recipe_read_whole_then_chunked(client, tmp_path):
    """The built-in recipe (a CSV data set, read whole in the client, then cut into blocks
    of units): the same results, and the log says the data were read whole."""
    chunked = ChunkedBuild(None, client=client, block_units=7).run()
    assert_same(gipro.run(), chunked, tmp_path / "out")
    assert any("data read whole" in n for n in chunked.input_notes)


def test_a_file_gipro_did_not_write_is_never_replaced(client, tmp_path):
    rng = np.random.default_rng(7)
    recipe = write_case(tmp_path, panel(rng, 6, 2, 0.0), [{"step": "normalise"},
                                                           {"step": "aggregate"}])
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "results.parquet").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="gipro did not write it"):
        ChunkedBuild(recipe, client=client).run().write(tmp_path / "out")
    assert (tmp_path / "out" / "results.parquet").read_text(encoding="utf-8") == "mine"
    assert not list(tmp_path.glob(".out.partial-*"))


def test_cli_on_a_running_scheduler(client, tmp_path):
    from typer.testing import CliRunner

    from gipro.cli import app

    rng = np.random.default_rng(5)
    recipe = write_case(tmp_path, panel(rng, 7, 3, 0.1), [{"step": "normalise"},
                                                           {"step": "aggregate"}])
    res = CliRunner().invoke(app, ["run", str(recipe), "--scheduler",
                                   client.scheduler.address, "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "top 7 of 7" in res.output
    got = pd.read_parquet(tmp_path / "o" / "results.parquet")
    ref = gipro.run(recipe).results()
    np.testing.assert_allclose(got["score"], ref["score"], atol=1e-9, rtol=0)
    assert (tmp_path / "o" / "ranking.parquet").exists()


def test_cli_unreachable_scheduler_is_a_clear_error_within_10s(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from gipro.cli import app

    monkeypatch.setattr("gipro.cluster.CONNECT_TIMEOUT", 1.0)
    t0 = time.perf_counter()
    res = CliRunner().invoke(app, ["run", "--scheduler", "tcp://127.0.0.1:1", "--out",
                                   str(tmp_path / "o")])
    assert time.perf_counter() - t0 < 10
    assert res.exit_code == 1
    assert "cannot connect to the Dask scheduler at tcp://127.0.0.1:1" in res.output
    assert not (tmp_path / "o").exists()


def test_a_scheduler_that_never_answers_is_a_clear_error_in_time(tmp_path, monkeypatch):
    """A port that accepts connections but never answers a scheduler's handshake (a
    firewall, a wrong service): the error names the address and the wait, within the
    timeout (here 1 s; default :data:`gipro.cluster.CONNECT_TIMEOUT`, 5 s)."""
    import socket

    from gipro.cluster import connect

    monkeypatch.setattr("gipro.cluster.CONNECT_TIMEOUT", 1.0)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        t0 = time.perf_counter()
        with pytest.raises(InputError, match=f"cannot connect to the Dask scheduler at "
                           f"{address}: no answer within 1 s"), connect(scheduler=address):
            pass
        assert time.perf_counter() - t0 < 5


@pytest.mark.parametrize("args, message", [
    (["--workers", "2", "--scheduler", "tcp://x:1"], "not both"),
    (["--memory-limit", "1GB"], "--workers"),
    (["--workers", "2", "--report", "r.html"], "one process"),
    (["--workers", "2", "--format", "csv"], "writes Parquet"),
])
def test_cli_usage_errors(args, message, tmp_path):
    from typer.testing import CliRunner

    from gipro.cli import app

    res = CliRunner().invoke(app, ["run", "--out", str(tmp_path / "o"), *args])
    assert res.exit_code == 2
    assert message in res.output


# ---------------------------------------------------------------- CSV read in blocks of units
def write_csv_case(folder: Path, values: np.ndarray, steps: list[dict], *, form: str = "wide",
                   shuffle: bool = False, seed: int = 0) -> Path:
    """The panel of ``write_case`` as a CSV file (wide, or long without the rows of missing
    values), rows in unit order or shuffled (every unit's rows spread over the file)."""
    recipe = write_case(folder, values, steps)
    frame = pd.read_parquet(folder / "data.parquet")
    if form == "long":
        frame = frame.melt(id_vars=["unit", "period"], var_name="indicator").dropna()
    if shuffle:
        frame = frame.sample(frac=1.0, random_state=seed)
    frame.to_csv(folder / "data.csv", index=False)
    spec = yaml.safe_load(recipe.read_text(encoding="utf-8"))
    spec["data"] = {"path": "data.csv", "form": form}
    recipe.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return recipe


@pytest.fixture
def small_csv_parts(monkeypatch):
    """CSV files read 42 cells at a time (7 rows of the wide files' 6 columns) and
    partitioned in buckets of 3 units."""
    import gipro.blocks as blocks

    monkeypatch.setattr(blocks, "CSV_CELLS", 42)
    monkeypatch.setattr(blocks, "SPILL_UNITS", 3)
    return blocks


@pytest.mark.parametrize("form, shuffle", [("wide", False), ("wide", True), ("long", True)])
def test_csv_read_in_blocks_as_in_memory(client, tmp_path, small_csv_parts, form, shuffle):
    """A CSV panel (units contiguous or spread over the file, wide or long) read in parts
    and partitioned by unit gives the in-memory build's numbers; the temporary partition
    is deleted when the build is closed."""
    rng = np.random.default_rng(11)
    recipe = write_csv_case(tmp_path, panel(rng, 14, 3, 0.2), [
        {"step": "impute", "method": "mean"}, {"step": "normalise"},
        {"step": "aggregate", "min_availability": 0.5}], form=form, shuffle=shuffle)
    with ChunkedBuild(recipe, client=client, block_units=4, temp_dir=tmp_path) as chunked:
        folder = chunked.source_panel.partition.folder
        assert folder.parent == tmp_path and len(list(folder.glob("part-*.parquet"))) > 3
        assert_same(gipro.run(recipe), chunked.run(), tmp_path / "out")
        assert any("partitioned by unit" in n for n in chunked.input_notes)
    assert not folder.exists()


def test_csv_never_held_whole_in_one_process(client, tmp_path, small_csv_parts, monkeypatch):
    """The client parses at most CSV_CELLS cells at a time, and a block's task reads the
    rows of its own units and at most two buckets more (the buckets at its edges)."""
    import pyarrow.parquet as pq

    blocks = small_csv_parts
    rng = np.random.default_rng(12)
    recipe = write_csv_case(tmp_path, panel(rng, 20, 2, 0.0),
                            [{"step": "normalise"}, {"step": "aggregate"}], shuffle=True)
    seen: list[int] = []
    parse = blocks.read_csv_blocks

    def counted(*args, **kwargs):
        for df, rows in parse(*args, **kwargs):
            seen.append(len(df))
            yield df, rows

    monkeypatch.setattr(blocks, "read_csv_blocks", counted)
    with ChunkedBuild(recipe, client=client, block_units=4) as chunked:
        assert sum(seen) == 40 and max(seen) <= 7 and len(seen) == 6
        data = chunked.source_panel
        for units in chunked.blocks:
            reader, groups, _, _ = data.block_args(units)
            read = set()
            for i, rg in groups:
                part = pq.ParquetFile(Path(reader.folder) / f"part-{i:05d}.parquet")
                assert part.metadata.num_rows <= 7
                read |= set(part.read_row_group(rg, columns=["unit"])["unit"].to_pylist())
            assert set(units) <= read and len(read) <= len(units) + 2 * (3 - 1)


@pytest.mark.parametrize("where, bad, message", [
    ("cell", "12.5x", r"non-numeric values in column 'x2' in .*data\.csv(.|\n)*row 34: '12\.5x'"),
    ("short", None, r"data\.csv: 1 row\(s\) with fewer cells than the header's 6: row 34 "),
])
def test_csv_errors_as_in_memory(client, tmp_path, small_csv_parts, where, bad, message):
    """A malformed cell, or a row with fewer cells than the header, far into a CSV file:
    the chunked build's error names file, row and column as the in-memory reader's."""
    rng = np.random.default_rng(13)
    recipe = write_csv_case(tmp_path, panel(rng, 20, 2, 0.0),
                            [{"step": "normalise"}, {"step": "aggregate"}], shuffle=True)
    lines = (tmp_path / "data.csv").read_text(encoding="utf-8").splitlines()
    cells = lines[33].split(",")  # file row 34
    if where == "cell":
        cells[4] = bad  # x2
        lines[33] = ",".join(cells)
    else:
        lines[33] = ",".join(cells[:4])
    (tmp_path / "data.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message) as mem:
        gipro.run(recipe)
    with pytest.raises(InputError, match=message) as chk:
        ChunkedBuild(recipe, client=client, block_units=4).run()
    assert str(chk.value) == str(mem.value)


# ---------------------------------------------------------------- ranking in the client
def tied_panel() -> np.ndarray:
    """12 units x 3 periods, units 4-7 copies of units 0-3 (every score tied in pairs) and
    unit 11 without values in the last period."""
    x = panel(np.random.default_rng(21), 12, 3, 0.0)
    x[:, 4:8] = x[:, 0:4]
    x[-1, 11] = np.nan
    return x


def test_ranking_and_printed_top_as_in_memory(client, tmp_path, monkeypatch):
    """ranking.parquet and the printed top units (ties, a unit without a score, the change
    since the first period) are those of the in-memory run; the client reads back the
    results of the printed units only (filters), never every unit's rows."""
    from typer.testing import CliRunner

    import gipro.results
    from gipro.cli import app
    from gipro.progress import change

    recipe = write_case(tmp_path, tied_panel(), [{"step": "normalise"},
                                                 {"step": "aggregate"}])
    mem = CliRunner().invoke(app, ["run", str(recipe), "--out", str(tmp_path / "m"),
                                   "--format", "parquet", "--top", "5"])
    calls: list[dict] = []
    read = ChunkedBuild.results

    def recorded(self, codes=None, periods=None, **kw):
        calls.append({"codes": codes, "periods": periods, **kw})
        return read(self, codes, periods, **kw)

    monkeypatch.setattr(ChunkedBuild, "results", recorded)
    got = CliRunner().invoke(app, ["run", str(recipe), "--scheduler",
                                   client.scheduler.address, "--out", str(tmp_path / "d"),
                                   "--top", "5"])
    assert mem.exit_code == 0 and got.exit_code == 0, got.output
    table = [ln for ln in mem.output.splitlines() if ln.startswith("│")]
    assert len(table) == 5 and table == [ln for ln in got.output.splitlines()
                                         if ln.startswith("│")]
    assert calls and all(c.get("top") or c.get("units") for c in calls)
    build = gipro.run(recipe)
    ref = gipro.results.ranking_table(build)
    assert ref["rank"].dropna().duplicated().sum() == 4 and ref["rank"].isna().sum() == 1
    written = pd.read_parquet(tmp_path / "d" / "ranking.parquet")
    pd.testing.assert_frame_equal(written, pd.read_parquet(tmp_path / "m" / "ranking.parquet"))
    pd.testing.assert_frame_equal(written, ref, check_dtype=False)
    some = ["u001", "u005", "u011"]
    pd.testing.assert_frame_equal(
        change(build, units=some).reset_index(drop=True),
        change(build).set_index("unit").loc[some].sort_values(
            "change", ascending=False, na_position="last").reset_index())


def test_ranking_of_an_earlier_period_read_back_as_in_memory(client, tmp_path):
    """ranking_table of a period other than the last (read back from the results) and of
    chosen codes: the in-memory build's table, ties and the unit without a score too."""
    from gipro.results import ranking_table

    recipe = write_case(tmp_path, tied_panel(), [{"step": "normalise"},
                                                 {"step": "aggregate"}])
    build = gipro.run(recipe)
    chunked = ChunkedBuild(recipe, client=client, block_units=5).run()
    chunked.write(tmp_path / "out")
    for period, codes in ((2001, None), (2003, ["IDX", "D1"]), (2002, ["IDX", "x0"])):
        pd.testing.assert_frame_equal(ranking_table(chunked, period, codes=codes),
                                      ranking_table(build, period, codes=codes))


# ---------------------------------------------------------------- odd inputs, as in memory
@pytest.mark.parametrize("text", ["unit,period,x0,x1,x2,x3\n", "unit,period,x0,x1,x2,x3",
                                  "unit,period,x0,x1,x2,x3\n\n,,,,,\n\n"])
def test_csv_without_data_rows_refused_as_in_memory(client, tmp_path, small_csv_parts, text):
    """A header-only CSV file (with or without a last newline, or with blank lines only
    below it): the in-memory reader's error, not a failure of the temporary partition."""
    recipe = write_csv_case(tmp_path, panel(np.random.default_rng(1), 4, 1, 0.0),
                            [{"step": "normalise"}, {"step": "aggregate"}])
    (tmp_path / "data.csv").write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=r"no data rows in .*data\.csv") as mem:
        gipro.run(recipe)
    with pytest.raises(InputError) as chk:
        ChunkedBuild(recipe, client=client)
    assert str(chk.value) == str(mem.value)


def test_parquet_with_a_pandas_index_as_in_memory(client, tmp_path):
    """A Parquet file written by pandas with its (unnamed) index: the index is not a data
    variable, as in memory (no note of an unused variable ``__index_level_0__``)."""
    recipe = write_case(tmp_path, panel(np.random.default_rng(2), 6, 2, 0.0),
                        [{"step": "normalise"}, {"step": "aggregate"}])
    frame = pd.read_parquet(tmp_path / "data.parquet").sample(frac=1.0, random_state=1)
    frame.to_parquet(tmp_path / "data.parquet", row_group_size=5)  # index kept, units spread
    build = gipro.run(recipe)
    with ChunkedBuild(recipe, client=client, block_units=4) as chunked:
        assert chunked.source_panel.indicator_codes == build.source_panel.indicator_codes
        chunked.run()
        assert chunked.input_notes == build.input_notes
        assert_same(build, chunked, tmp_path / "out")


def test_plausibility_warnings_as_in_memory(client, tmp_path):
    """The warnings of values that look wrong (gipro.panel.plausibility_warnings) from the
    blocks' hits joined: the same lines as in memory -- the first ten hits over every block
    and "and N more", the share of % values outside [0, 100] counted over all units (one
    such value in 90 is warned of, though it is 1 in 12 of its block's), a jump across a
    period without a row."""
    rng = np.random.default_rng(31)
    x = rng.uniform(20.0, 80.0, size=(3, 30, 4))
    x[1, :14, 0] *= 20.0  # 28 jumps of x0, in 14 units of 4 blocks
    x[2, 20, 2] = 150.0  # x2 in %: one value outside [0, 100]
    x[:, 5, 2] = [92.8, 0.93, 95.1]  # one year saved as a fraction
    x[2, 7, 1] = x[0, 7, 1] * 30.0  # u007: 2002 has no row (below): a jump 2001-2003
    recipe = write_case(tmp_path, x, [{"step": "normalise"}, {"step": "aggregate"}])
    fw = yaml.safe_load((tmp_path / "framework.yaml").read_text(encoding="utf-8"))
    fw["indicators"][2]["unit"] = "%"
    (tmp_path / "framework.yaml").write_text(yaml.safe_dump(fw), encoding="utf-8")
    frame = pd.read_parquet(tmp_path / "data.parquet")
    frame = frame.loc[~((frame["unit"] == "u007") & (frame["period"] == 2002))]
    frame.to_parquet(tmp_path / "data.parquet", index=False, row_group_size=9)
    build = gipro.run(recipe)
    warned = [n for n in build.input_notes if n.startswith("WARNING")]
    assert len(warned) == 5  # x0, x1 jumps; x2 outside, a fraction, jumps (to 0.93)
    a, b = x[:-1, :, 0], x[1:, :, 0]
    n = int((np.maximum(a, b) >= 10 * np.minimum(a, b))[:, np.arange(30) != 7].sum())
    assert n > 10 and "x0 jumps ten times" in warned[0] and f"and {n - 10} more" in warned[0]
    assert "u007 2001-2003" in warned[1]
    assert "outside [0, 100]: u020 2003 (150);" in warned[2]
    assert "others are" not in warned[3] and "u005 2002 (0.93);" in warned[3]
    assert "x2 jumps" in warned[4] and "u005 2001-2002 (92.8 to 0.93)" in warned[4]
    with ChunkedBuild(recipe, client=client, block_units=4) as chunked:
        assert chunked.run().input_notes == build.input_notes


@pytest.mark.parametrize("source", ["csv", "parquet"])
def test_unit_codes_spelt_alike_refused_as_in_memory(client, tmp_path, small_csv_parts,
                                                     source):
    """Codes equal but for case or width (``u003``/``U003``, full-width ``ｕ005``), their rows
    spread over the file's parts or row groups: the in-memory reader's message, naming the
    column and every row of each code."""
    rng = np.random.default_rng(41)
    recipe = write_csv_case(tmp_path, panel(rng, 12, 3, 0.0),
                            [{"step": "normalise"}, {"step": "aggregate"}], shuffle=True)
    frame = pd.read_csv(tmp_path / "data.csv")
    frame.loc[frame["unit"] == "u004", "unit"] = "U003"
    frame.loc[frame["unit"] == "u009", "unit"] = "ｕ005"
    if source == "csv":
        frame.to_csv(tmp_path / "data.csv", index=False)
    else:
        frame.to_parquet(tmp_path / "data.parquet", index=False, row_group_size=5)
        spec = yaml.safe_load(recipe.read_text(encoding="utf-8"))
        spec["data"]["path"] = "data.parquet"
        recipe.write_text(yaml.safe_dump(spec), encoding="utf-8")
    with pytest.raises(InputError, match="unit codes in column 'unit' in .* that look alike "
                       r"but differ(.|\n)*'U003' \(rows \d+, \d+, \d+\)") as mem:
        gipro.run(recipe)
    with pytest.raises(InputError) as chk:
        ChunkedBuild(recipe, client=client)
    assert str(chk.value) == str(mem.value)


@pytest.mark.parametrize("column, cells", [
    ("x2", {3: "x", 33: "y"}),  # two parts apart: "looks like a text column"
    ("period", {i: f"{2000 + i}年" for i in range(2, 41)}),  # every period, "and 29 more"
])
def test_non_numeric_cells_of_every_part_as_in_memory(client, tmp_path, small_csv_parts,
                                                      column, cells):
    """Non-numeric cells of one column in several parts of a CSV file: one error listing
    and counting the cells of every part, with the hint the whole column gives, as in
    memory (not the first part's cells alone)."""
    recipe = write_csv_case(tmp_path, panel(np.random.default_rng(51), 20, 2, 0.0),
                            [{"step": "normalise"}, {"step": "aggregate"}])
    frame = pd.read_csv(tmp_path / "data.csv", dtype=str)
    for row, text in cells.items():
        frame.loc[row - 2, column] = text
    frame.to_csv(tmp_path / "data.csv", index=False)
    with pytest.raises(InputError, match=f"non-numeric values in column '{column}'") as mem:
        gipro.run(recipe)
    assert (("looks like a text column" in str(mem.value)) if column == "x2"
            else "(and 29 more cells)" in str(mem.value))
    with pytest.raises(InputError) as chk:
        ChunkedBuild(recipe, client=client)
    assert str(chk.value) == str(mem.value)


def test_plausibility_warnings_of_the_recipes_periods_and_indicators(client, tmp_path):
    """With ``periods:`` and a data variable outside the framework, the warnings are of the
    build's periods and indicators only, as in memory (a jump 2001-2002 is not warned of
    when the recipe builds 2002-2003; nor one of the unused variable)."""
    rng = np.random.default_rng(32)
    x = rng.uniform(20.0, 80.0, size=(3, 9, 4))
    x[0, 2, 0] *= 30.0  # u002 x0: 2001-2002 only
    x[2, 4, 1] *= 30.0  # u004 x1: 2002-2003
    extra = rng.uniform(20.0, 80.0, size=(3, 9))
    extra[2, 1] *= 30.0
    recipe = write_case(tmp_path, x, [{"step": "normalise"}, {"step": "aggregate"}],
                        extra={"x9": extra})
    spec = yaml.safe_load(recipe.read_text(encoding="utf-8"))
    spec["periods"] = [2002, 2003]
    recipe.write_text(yaml.safe_dump(spec), encoding="utf-8")
    build = gipro.run(recipe)
    warned = [n for n in build.input_notes if n.startswith("WARNING")]
    assert len(warned) == 1 and "x1 jumps" in warned[0] and "u004 2002-2003" in warned[0]
    with ChunkedBuild(recipe, client=client, block_units=2) as chunked:
        assert chunked.run().input_notes == build.input_notes


def test_a_user_file_inside_an_earlier_folder_of_parts_is_never_deleted(client, tmp_path):
    """A second chunked write to the same folder replaces gipro's earlier folders of parts
    (results.parquet/, stages/raw.parquet/) whole: a file the user put inside one of them
    is refused before any work, and stays."""
    recipe = write_case(tmp_path, panel(np.random.default_rng(61), 6, 2, 0.0),
                        [{"step": "normalise"}, {"step": "aggregate"}])
    with ChunkedBuild(recipe, client=client, block_units=4) as chunked:
        chunked.run().write(tmp_path / "out")
        for where in ("results.parquet", "stages/raw.parquet"):
            mine = tmp_path / "out" / where / "notes.txt"
            mine.write_text("mine", encoding="utf-8")
            with pytest.raises(InputError, match=r"notes\.txt is in .* gipro did not write it"):
                chunked.write(tmp_path / "out")
            assert mine.read_text(encoding="utf-8") == "mine"
            mine.unlink()
        chunked.write(tmp_path / "out")  # gipro's own parts only: replaced
        assert len(list((tmp_path / "out" / "results.parquet").iterdir())) > 1


@pytest.mark.parametrize("method", ["group_mean", "group_median"])
def test_group_imputation_of_a_unit_without_a_group(client, tmp_path, method):
    """B17 on a cluster: u001's region is emptied, so its gap stays missing, as in memory;
    u005 (east, with u002 = 2 and u008 = 6 in 2001) gets its group's mean and median 4."""
    x = np.arange(1.0, 1.0 + 2 * 9 * 4).reshape(2, 9, 4)
    x[0, [2, 8], 0] = [2.0, 6.0]
    x[0, [1, 5], 0] = np.nan  # u001 (no group), u005 (east)
    steps = [{"step": "impute", "method": method, "group": "region"},
             {"step": "normalise"}, {"step": "aggregate"}]
    recipe = write_case(tmp_path, x, steps, groups=True)
    frame = pd.read_parquet(tmp_path / "data.parquet")
    frame.loc[frame["unit"] == "u001", "region"] = None
    frame.to_parquet(tmp_path / "data.parquet", index=False, row_group_size=2 * 3)
    build = gipro.Build(recipe).run()
    imputed = build.data("imputed")["x0"]
    assert np.isnan(imputed.loc[("u001", 2001)]) and imputed.loc[("u005", 2001)] == 4.0
    chunked = ChunkedBuild(recipe, client=client, block_units=2).run()
    assert "imputed" in chunked.kept()
    assert_same(build, chunked, tmp_path / "out")  # the imputed stage, value by value


@pytest.mark.parametrize("bounds", ["pooled", "per_period"])
def test_zscore_of_data_with_gaps_as_in_memory(client, tmp_path, bounds):
    """The means and standard deviations reduced over blocks count only observed values
    (15 % of the cells missing), pooled and per period, as the in-memory build does."""
    rng = np.random.default_rng(11)
    x = panel(rng, 10, 3, 0.15)
    assert np.isnan(x).any()
    steps = [{"step": "normalise", "method": "zscore", "bounds": bounds},
             {"step": "aggregate"}]
    recipe = write_case(tmp_path, x, steps)
    build = gipro.Build(recipe).run()
    chunked = ChunkedBuild(recipe, client=client, block_units=3).run()
    assert_same(build, chunked, tmp_path / "out")
    for key in ("mean", "sd"):
        np.testing.assert_allclose(getattr(chunked.fits["normalise"], key),
                                   getattr(build.fits["normalise"], key), rtol=1e-12)


@pytest.mark.parametrize("norm, shape", [
    ({"method": "ampi", "ref_period": 2002}, "gaps"),
    ({"method": "ampi", "ref_period": 2002, "bounds": "per_period"}, "gaps"),
    ({"method": "ampi", "ref_period": 2002, "constant": "drop"}, "x3 constant"),
    ({"method": "minmax", "bounds": "per_period", "constant": "midpoint"}, "x2 once in 2001"),
])
def test_reference_means_and_single_values_as_in_memory(client, tmp_path, norm, shape):
    """AMPI's reference (the mean of ``ref_period``) from sums over blocks, pooled and per
    period, with an indicator dropped as constant; a period in which an indicator has one
    observed value (bounds equal to it: the midpoint, not "no data")."""
    rng = np.random.default_rng(12)
    x = panel(rng, 9, 3, 0.1)
    if shape == "x3 constant":
        x[:, :, 3] = 5.0
    if shape == "x2 once in 2001":
        x[0, :, 2] = np.nan
        x[0, 4, 2] = 7.0
    recipe = write_case(tmp_path, x, [{"step": "normalise", **norm}, {"step": "aggregate"}])
    build = gipro.Build(recipe).run()
    if shape == "x2 once in 2001":  # one value: constant in its period, the scale's middle
        assert build.data("normalised").loc[("u004", 2001), "x2"] == 50.0
    chunked = ChunkedBuild(recipe, client=client, block_units=2).run()
    assert_same(build, chunked, tmp_path / "out")
    mem, got = build.fits["normalise"], chunked.fits["normalise"]
    assert got.codes == mem.codes
    for key in ("lower", "upper"):
        np.testing.assert_allclose(getattr(got, key), getattr(mem, key), rtol=1e-12)
    if norm["method"] == "ampi":
        np.testing.assert_allclose(got.params["reference"], mem.params["reference"],
                                   rtol=1e-12)


@pytest.mark.parametrize("pooled", [False, True])
def test_group_medians_of_more_values_than_are_gathered(pooled):
    """More than 512 values per column and group, so the selection narrows its window by
    binning over passes before gathering: the same medians as ``numpy.nanmedian`` per group
    (and per period), with ties (values rounded to 0.01) and gaps."""
    import dask.array as da

    from gipro.steps.chunks import group_medians

    rng = np.random.default_rng(21)
    x = np.round(rng.lognormal(1.0, 1.0, size=(2, 3000, 2)), 2)
    x[rng.random(x.shape) < 0.1] = np.nan
    groups = rng.integers(-1, 3, size=3000)  # -1: a unit without a group
    got = group_medians(da.from_array(x, chunks=(2, 400, 2)), groups, 3, pooled)
    for g in range(3):
        sel = x[:, groups == g, :]
        want = (np.nanmedian(sel.reshape(-1, 2), axis=0)[None] if pooled
                else np.nanmedian(sel, axis=1))
        np.testing.assert_array_equal(got[:, g, :], want)


def test_group_median_with_a_value_just_below_a_bin_edge():
    """Bins over [0.1, 0.7] (the column's minimum and maximum) have edges 0.1 + 0.6 j/1024;
    the value just below edge 132 is put in bin 132 by floor((v - 0.1)/0.6 x 1024) in
    floating point, though it is below the edge: the exact comparison moves it to bin 131.
    With it, the two extremes and 598 values inside bin 132, the median (the 301st of 601
    values) is the 299th inside value -- wrong by one place if that value were counted in
    bin 132 and then left out of the narrowed window."""
    import dask.array as da

    from gipro.steps.chunks import group_medians

    lo, hi, nb = 0.1, 0.7, 1024
    edge = lo + (hi - lo) * 132 / nb
    just_below = np.nextafter(edge, -np.inf)
    assert np.floor((just_below - lo) / (hi - lo) * nb) == 132  # the floating-point trap
    inside = np.linspace(edge, lo + (hi - lo) * 133 / nb, 600)[1:-1]  # 598 values
    col = np.concatenate([[lo, hi, just_below], inside])
    x = np.random.default_rng(3).permutation(col)[None, :, None]
    got = group_medians(da.from_array(x, chunks=(1, 100, 1)), None, 1, False)
    assert got.ravel().tolist() == [np.sort(col)[300]] == [inside[298]]


def test_group_median_in_the_second_bin():
    """Bins of width 1 over [0, 1024]: 0 and 300 values in bin 0, 399 in bin 1, 1024 in the
    last. The median (the 351st of 701) is the 50th value of bin 1; the narrowed window
    starts at bin 1's edge, so bin 0's values, already counted below it, are not counted
    again."""
    import dask.array as da

    from gipro.steps.chunks import group_medians

    rng = np.random.default_rng(4)
    bin0 = rng.uniform(0.01, 0.99, 300)
    bin1 = np.sort(rng.uniform(1.01, 1.99, 399))
    col = np.concatenate([[0.0, 1024.0], bin0, bin1])
    x = rng.permutation(col)[None, :, None]
    got = group_medians(da.from_array(x, chunks=(1, 128, 1)), None, 1, False)
    assert got.ravel().tolist() == [np.median(col)] == [bin1[49]]
