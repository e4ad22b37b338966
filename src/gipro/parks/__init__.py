"""Industrial park assessment: requirement frameworks, compliance, roll-up, crosswalk, park26.

* Frameworks as data (:mod:`gipro.parks.model`): HJ 274-2015 (``hj274``), the MIIT green-park
  requirements (``miit``) and the International EIP Framework v2.0 skeleton (``eip``), each
  requirement with its ``verified`` flag; a catalogue of park indicators shared by all.
* Park data (:mod:`gipro.parks.data`): indicators by park and year plus park attributes.
* Compliance (:func:`assess`): met / partly met / not met / not applicable / no data / no
  threshold per requirement, k-of-n groups, prerequisite gate, shares, verdicts, priorities.
* MIIT green index (:func:`green_index`), an UNVERIFIED hypothesis of the formula.
* Enterprise roll-up (:func:`rollup`), crosswalk and coverage (:func:`crosswalk`,
  :func:`coverage_report`), the park26 composite index (:func:`park26`).
* The data-entry workbook (:func:`write_template`, :func:`read_template`) and frameworks a
  user corrects and cites (:func:`export_park_framework`, ``user_verified``/``user_source``).

Quick use::

    from gipro import parks
    data = parks.example()                       # SYNTHETIC south/central/north parks
    a = parks.assess("hj274", data)
    a.verdicts, a.requirements, a.priorities
"""

from .crosswalk import ALL_FRAMEWORKS, coverage_report, crosswalk, how_to_get
from .data import SYNTHETIC, ParkData
from .engine import OUTCOMES, Assessment, assess
from .gi import GreenIndex, green_index
from .io import read_park_data
from .model import (
    RequirementFramework,
    builtin_park_frameworks,
    export_park_framework,
    load_catalogue,
    load_park_framework,
    park_framework_from_dict,
)
from .rollup import ENTERPRISE_COLUMNS, rollup, rollup_table
from .scorecard import park26, scorecard
from .workbook import read_template, write_template


def example() -> ParkData:
    """The SYNTHETIC example parks (see :func:`gipro.datasets.parks_example`)."""
    from ..datasets import parks_example

    return parks_example()


__all__ = [
    "ALL_FRAMEWORKS",
    "ENTERPRISE_COLUMNS",
    "OUTCOMES",
    "SYNTHETIC",
    "Assessment",
    "GreenIndex",
    "ParkData",
    "RequirementFramework",
    "assess",
    "builtin_park_frameworks",
    "coverage_report",
    "crosswalk",
    "example",
    "export_park_framework",
    "green_index",
    "how_to_get",
    "load_catalogue",
    "load_park_framework",
    "park26",
    "park_framework_from_dict",
    "read_park_data",
    "read_template",
    "rollup",
    "rollup_table",
    "scorecard",
    "write_template",
]
