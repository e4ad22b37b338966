"""Timings of scenario evaluation, inverse questions and target attainment.

Run: ``PYTHONPATH=src python benchmarks/bench_scenario.py``. Prints one line per case (best of
3 runs). Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

from _common import best, synthetic

import gipro
from gipro.scenario import (
    Change,
    Scenario,
    TargetSpec,
    attainment,
    evaluate,
    load_scenarios,
    required_change,
)
from gipro.scenario.runner import run_file


def main() -> None:
    base = gipro.run()
    one = Scenario(name="one", changes=[Change(op="pct", units=["Beijing"],
                                               indicators=["co2_intensity_gdp"], value=-15)])
    fyp = Scenario(name="fyp", changes=[Change(op="path", indicators=["co2_intensity_gdp"],
                                               change_pct=-18, base=2015, by=2020)])
    print(f"china provinces (30 x 10 x 7): baseline build            "
          f"{best(lambda: gipro.run()):.3f} s")
    print(f"  evaluate 1 scenario                                     "
          f"{best(lambda: evaluate(base, one)):.3f} s")
    print(f"  evaluate 5 scenarios, horizon 2020                      "
          f"{best(lambda: evaluate(base, [fyp.model_copy(update={'name': f's{i}'}) for i in range(5)], options={'horizon': 2020})):.3f} s")  # noqa: E501
    print(f"  inverse, 7 indicators alone, verified (closed form)     "
          f"{best(lambda: required_change(base, 'Shanxi', rank=20, period=2015)):.3f} s")
    print(f"  inverse, 7 indicators alone, not verified               "
          f"{best(lambda: required_change(base, 'Shanxi', rank=20, period=2015, verify=False)):.3f} s")  # noqa: E501
    geo = base.with_step("normalise", range=[1, 100]).with_step(
        "aggregate", by_level={3: "geometric"}).run()
    print(f"  inverse, geometric index (brentq), 6 indicators         "
          f"{best(lambda: required_change(geo, 'Shanxi', rank=20, period=2015, verify=False, indicators=[c for c in geo.framework.indicator_codes if c != 'gdp_real_per_capita'])):.3f} s")  # noqa: E501
    t = TargetSpec(indicator="co2_intensity_gdp", change_pct=-18, base=2015, by=2020)
    print(f"  attainment, 1 target, trend                             "
          f"{best(lambda: attainment(base, t)):.3f} s")
    spec = load_scenarios("examples/scenarios/china-provinces.yaml")
    print(f"  gipro scenario on examples/scenarios/china-provinces.yaml "
          f"{best(lambda: run_file(None, spec, '/tmp/gipro-bench-scen'), repeat=1):.3f} s")
    from gipro import parks
    from gipro.scenario import apply_changes
    from gipro.scenario.parks import park_cube

    pdata = parks.example()
    pspec = load_scenarios("examples/scenarios/parks.yaml")
    print(f"  gipro scenario on examples/scenarios/parks.yaml (SYNTHETIC parks) "
          f"{best(lambda: run_file('parks-example', pspec, '/tmp/gipro-bench-pscen'), repeat=1):.3f} s")  # noqa: E501
    energy = Scenario(name="e", changes=[Change(op="pct", indicators=["energy_total", "iva_total"],
                                                value=-10, periods="all")])
    for rel in (True, False):
        cube = park_cube(pdata, relations=rel)
        print(f"  apply_changes on the park cube, 2 totals x 18 park-years, relations {rel}: "
              f"{best(lambda cube=cube: apply_changes(cube, energy), repeat=5) * 1e3:.1f} ms")
    for n_units in (200, 1000):
        big = synthetic(n_units, 20, 24)
        s = Scenario(name="all", changes=[Change(op="pct", indicators=["x0", "x1"], value=-10,
                                                 periods="all")])
        print(f"synthetic {n_units} units x 20 periods x 24 indicators: evaluate 1 scenario "
              f"{best(lambda big=big, s=s: evaluate(big, s)):.3f} s")


if __name__ == "__main__":
    main()
