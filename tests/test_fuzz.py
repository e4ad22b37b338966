"""Fuzzing: random bytes, random tables and random YAML thrown at the loaders, and random
frameworks x data x recipes thrown at the build. The outcome is always either a correct
result or a :class:`~gipro.errors.GiproError` subclass -- never another exception (a crash
with a traceback), never a NaN or infinite score, never a rank for a missing score.

Budgets are fixed (``max_examples``, no deadline) so the suite stays fast; multiply them
with the environment variable ``GIPRO_FUZZ`` (e.g. ``GIPRO_FUZZ=25 pytest tests/test_fuzz.py``)
to search longer.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.test_invariants import check_nothing_lost

from gipro import Build, Framework, GiproError, Panel, read_panel
from gipro.framework import load_framework
from gipro.recipe import load_recipe

K = int(os.environ.get("GIPRO_FUZZ", "1"))  # budget multiplier
FUZZ = settings(max_examples=40 * K, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


# ---------------------------------------------------------------- bytes
@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".xlsx", ".parquet"])
@FUZZ
@given(data=st.one_of(
    st.binary(max_size=400),
    st.binary(max_size=200).map(lambda b: b"unit,period,x\n" + b),
    st.binary(max_size=200).map(lambda b: b"PK\x03\x04" + b),  # zip (xlsx) magic
    st.binary(max_size=200).map(lambda b: b"PAR1" + b + b"PAR1"),  # parquet magic
))
def test_random_bytes_give_a_panel_or_an_input_error(tmp_path_factory, suffix, data):
    path = tmp_path_factory.mktemp("bytes") / f"d{suffix}"
    path.write_bytes(data)
    try:
        p = read_panel(path)
    except GiproError:
        return
    assert isinstance(p, Panel)
    v = p.values.to_numpy()
    assert not np.isinf(v).any()


# ---------------------------------------------------------------- tables of cell texts
CELLS = st.one_of(
    st.sampled_from(["", " ", "NA", "n/a", "-", "..", "#N/A", "#DIV/0!", "nan", "inf", "-inf",
                     "1e400", "0", "-0", "1,5", "1.5", "1.234,5", "1,234.5", "1 234", "5%",
                     "１２", "TRUE", "x", "A ", " A", "2020", "2020.0", "2020.5", "1e23",
                     "\u00a0", "'", '"', ";", "\t"]),
    st.integers(-10**6, 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
    st.text(max_size=6),
)


@st.composite
def tables(draw):
    n_cols = draw(st.integers(1, 5))
    n_rows = draw(st.integers(0, 6))
    header = draw(st.lists(st.sampled_from(["unit", "period", "indicator", "value", "x", "y",
                                            "x ", "", "unit"]) | st.text(max_size=4),
                           min_size=n_cols, max_size=n_cols))
    if draw(st.booleans()):  # mostly a plausible header
        header = (["unit", "period"] + [f"i{k}" for k in range(n_cols)])[:max(n_cols, 2)]
    rows = [draw(st.lists(CELLS, min_size=len(header), max_size=len(header)))
            for _ in range(n_rows)]
    return header, rows


@FUZZ
@given(table=tables(), sep=st.sampled_from([",", ";", "\t"]),
       opts=st.fixed_dictionaries({}, optional={
           "decimal": st.sampled_from([".", ","]), "thousands": st.sampled_from([",", ".", " "]),
           "form": st.sampled_from(["auto", "long", "wide"]),
           "na_values": st.just([".."])}))
def test_random_csv_tables_give_a_panel_or_an_input_error(tmp_path_factory, table, sep, opts):
    header, rows = table
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep).writerows([header, *rows])
    path = tmp_path_factory.mktemp("csv") / "d.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    try:
        p = read_panel(path, sep=sep, **opts)
    except GiproError:
        return
    assert not np.isinf(p.values.to_numpy()).any()
    plain = opts.get("decimal", ".") == "." and "thousands" not in opts
    if plain and opts.get("form", "auto") != "long" and set(p.values.columns) <= set(header):
        # every cell that Python reads as a finite number is that number, in the right place
        for r in rows:
            rec = dict(zip(header, r, strict=True))
            try:
                key = (rec["unit"], int(float(rec["period"])))
            except (KeyError, ValueError, OverflowError):
                continue
            for col in p.values.columns:
                try:
                    expected = float(rec[col])
                except (KeyError, ValueError):
                    continue
                if math.isfinite(expected) and key in p.values.index:
                    assert p.values.loc[key, col] == expected


@settings(max_examples=20 * K, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(table=tables())
def test_random_excel_tables_give_a_panel_or_an_input_error(tmp_path_factory, table):
    import openpyxl

    header, rows = table
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in [header, *rows]:
        clean = [c if c.isprintable() else "?" for c in r]
        ws.append([float(c) if re.fullmatch(r"\s*-?[0-9]+\s*", c) else c for c in clean])
    path = tmp_path_factory.mktemp("xlsx") / "d.xlsx"
    wb.save(path)
    try:
        p = read_panel(path)
    except GiproError:
        return
    assert not np.isinf(p.values.to_numpy()).any()


# ---------------------------------------------------------------- YAML
YAML_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-3, 3000), st.floats(-5, 5),
                        st.sampled_from(["minmax", "arithmetic", "normalise", "aggregate",
                                         "china_provinces", "china-provinces-green-industry",
                                         "IDX", "x"]), st.text(max_size=5))
YAML_KEYS = st.sampled_from(["framework", "data", "dataset", "path", "steps", "step", "method",
                             "periods", "start", "end", "units", "name", "range", "weights",
                             "code", "parent", "direction", "indicators", "aggregates",
                             "min_availability", "by_level", "zz"])
YAML_DOCS = st.recursive(YAML_LEAVES, lambda inner: st.lists(inner, max_size=3)
                         | st.dictionaries(YAML_KEYS, inner, max_size=4), max_leaves=12)


@FUZZ
@given(doc=st.one_of(
    YAML_DOCS,
    YAML_DOCS.map(lambda d: {"framework": "china-provinces-green-industry",
                             "data": {"dataset": "china_provinces"}, "steps": d}),
    st.fixed_dictionaries({"framework": st.just("china-provinces-green-industry"),
                           "data": st.just({"dataset": "china_provinces"}),
                           "periods": YAML_DOCS})))
def test_random_recipes_give_a_recipe_or_an_input_error(tmp_path_factory, doc):
    path = tmp_path_factory.mktemp("yaml") / "r.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    try:
        load_recipe(path)
    except GiproError:
        pass


@FUZZ
@given(text=st.text(max_size=200))
def test_random_text_as_recipe_or_framework(tmp_path_factory, text):
    d = tmp_path_factory.mktemp("text")
    (d / "r.yaml").write_text(text, encoding="utf-8")
    for loader in (load_recipe, load_framework):
        try:
            loader(d / "r.yaml")
        except GiproError:
            pass


@FUZZ
@given(doc=YAML_DOCS)
def test_random_frameworks_give_a_framework_or_a_framework_error(doc):
    try:
        Framework.from_dict(doc if isinstance(doc, dict) else {"indicators": doc})
    except GiproError:
        pass


# ---------------------------------------------------------------- builds
NORMALISE = ["minmax", "zscore", "goalposts", "target", "dist_ref", "dist_max", "frac_max",
             "percentile", "rank", "borda", "efficacy", "normal_cdf", "leading", "ampi"]
AGGREGATE = ["arithmetic", "geometric", "harmonic", "generalised", "mean_min", "mpi",
             "copeland", "topsis", "bod"]
VALUES = st.one_of(st.floats(-1e6, 1e6), st.just(np.nan), st.just(0.0),
                   st.sampled_from([1.0, 5.0, -3.0, 1e-300, 1e300, -1e300, 1e308]))


@st.composite
def builds(draw):
    """Any framework shape, any values (zeros, negatives, huge, tiny, constant, missing), any
    step with any method."""
    n_units, n_periods, n_ind = draw(st.integers(1, 6)), draw(st.integers(1, 3)), \
        draw(st.integers(1, 4))
    n_dims = draw(st.integers(0, min(2, n_ind)))
    aggs = [{"code": "IDX"}] + [{"code": f"D{j}", "parent": "IDX",
                                 "weight": draw(st.sampled_from([0.5, 1.0, 2.0]))}
                                for j in range(n_dims)]
    inds = []
    for k in range(n_ind):
        parent = (f"D{k}" if k < n_dims else
                  draw(st.sampled_from(["IDX"] + [a["code"] for a in aggs[1:]])))
        ind = {"code": f"i{k}", "parent": parent, "direction": draw(st.sampled_from([1, -1])),
               "weight": draw(st.sampled_from([0.0, 1.0, 1.0, 3.0]))}
        if draw(st.booleans()):
            ind["target"] = draw(st.floats(-100, 100))
        if draw(st.booleans()):
            lo = draw(st.floats(-100, 100))
            ind["goalposts"] = [lo, lo + draw(st.floats(0.1, 100))]
        inds.append(ind)
    units = [f"u{i}" for i in range(n_units)]
    idx = pd.MultiIndex.from_product([units, list(range(2000, 2000 + n_periods))],
                                     names=["unit", "period"])
    n = n_units * n_periods * n_ind
    values = VALUES if draw(st.booleans()) else st.one_of(st.floats(0.5, 100), st.just(np.nan))
    cube = np.array(draw(st.lists(values, min_size=n, max_size=n))).reshape(-1, n_ind)
    meta = pd.DataFrame({"name": units,
                         "region": [draw(st.sampled_from(["N", "S", None])) for _ in units]},
                        index=pd.Index(units, name="unit"))
    panel = Panel(pd.DataFrame(cube, index=idx, columns=[f"i{k}" for k in range(n_ind)]),
                  units=meta)
    steps = []
    if draw(st.booleans()):
        steps.append({"step": "screen",
                      "min_availability": draw(st.sampled_from([0.0, 0.5, 1.0])),
                      "max_zero_share": draw(st.sampled_from([None, 0.5]))})
    if draw(st.booleans()):
        m = draw(st.sampled_from(["mean", "median", "group_mean", "linear", "constant",
                                  "linear_constant"]))
        steps.append({"step": "impute", "method": m, **({"group": "region"}
                                                         if m.startswith("group") else {})})
    if draw(st.booleans()):
        steps.append({"step": "treat", "winmax": draw(st.integers(0, 3))})
    nm = draw(st.sampled_from(NORMALISE))
    norm = {"step": "normalise", "method": nm,
            "constant": draw(st.sampled_from(["error", "drop", "midpoint"])),
            "bounds": draw(st.sampled_from(["pooled", "per_period"]))}
    if nm == "dist_ref":
        norm["ref_unit"] = draw(st.sampled_from(units))
    if nm in ("frac_max", "leading") and draw(st.booleans()):
        norm["cost"] = "inverse"
    steps.append(norm)
    agg = {"step": "aggregate", "method": draw(st.sampled_from(AGGREGATE)),
           "min_availability": draw(st.sampled_from([0.0, 0.5, 1.0]))}
    if agg["method"] == "generalised":
        agg["p"] = draw(st.sampled_from([-1.0, 0.0, 0.5, 2.0]))
    if draw(st.booleans()):
        steps.append({"step": "weight", "output": "w",
                      "method": draw(st.sampled_from(["equal", "pca", "entropy", "critic",
                                                      "optimise"]))})
        agg["weights"] = "w"
    steps.append(agg)
    return aggs, inds, panel, steps


@settings(max_examples=80 * K, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(case=builds())
def test_random_builds_are_correct_or_raise_a_gipro_error(case, tmp_path_factory):
    aggs, inds, panel, steps = case
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning (overflow, 0/0) would be a crash
        try:
            fw = Framework(inds, aggs)
            b = Build({"framework": "t", "data": {"dataset": "t"}, "steps": steps},
                      framework=fw, panel=panel).run()
        except GiproError:
            return
        check_nothing_lost(b)
        b.write(tmp_path_factory.mktemp("out"))
