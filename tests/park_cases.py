"""A small MIIT-style framework for green-index tests, shared by the park test modules."""

from __future__ import annotations

from gipro.parks import park_framework_from_dict


def gi_fw(extra=()):
    return park_framework_from_dict({
        "code": "g", "name": "g", "categories": [{"code": "C", "name": "C"}],
        "verdict": {"indicator_role": "leading_value"},
        "groups": [{"code": "O", "at_least": 1, "counts": "reported"}],
        "requirements": [
            {"code": "1", "name": "a", "category": "C", "indicator": "energy_productivity",
             "comparator": ">=", "threshold": 4, "status": "mandatory"},
            {"code": "2", "name": "b", "category": "C", "indicator": "wastewater_per_iva",
             "comparator": "<=", "threshold": 5, "status": "mandatory"},
            {"code": "3", "name": "c", "category": "C",
             "indicator": "co2_intensity_reduction_pct", "comparator": ">=", "threshold": 3,
             "status": "group", "group": "O"},
            {"code": "4", "name": "d", "category": "C", "indicator": "central_wwtp",
             "comparator": "present", "status": "group", "group": "O"},
            *extra]})
