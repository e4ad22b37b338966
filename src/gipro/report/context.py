"""What report sections render into: the language and the charts registered so far.

:class:`Context` is shared by :mod:`gipro.report.sections` (which register their charts in
it) and :mod:`gipro.report.builder` (which creates one per page and embeds its figures), so
neither of the two imports the other.
"""

from __future__ import annotations

import json
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.utils import PlotlyJSONEncoder

from .charts import TEMPLATE
from .i18n import check_lang, translate

__all__ = ["PLOTLY_CONFIG", "Context", "script_json"]

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "showLink": False,
                 "modeBarButtonsToRemove": ["sendDataToCloud", "lasso2d", "select2d"]}


def script_json(obj: Any) -> str:
    """JSON safe inside a ``<script>`` element (every ``<`` escaped)."""
    return obj.replace("<", "\\u003c") if isinstance(obj, str) else script_json(json.dumps(obj))


class Context:
    """What sections render into: the language, and the charts registered so far."""

    def __init__(self, lang: str = "en") -> None:
        self.lang = check_lang(lang)
        self.figures: dict[str, str] = {}  # chart id -> figure JSON
        self.figsets: dict[str, dict[str, str]] = {}  # chart id -> unit -> figure JSON
        self.groups: dict[str, str] = {}  # selector group -> default unit
        self.names: dict[str, str] = {}  # chart id -> chart name
        self.objects: dict[str, go.Figure] = {}  # chart name -> figure (last registered)
        self.set_objects: dict[str, dict[str, go.Figure]] = {}  # chart name -> unit -> figure
        self._n = 0

    def t(self, key: str, **fmt: Any) -> str:
        """Template string ``key`` in the report's language."""
        return translate(key, self.lang, **fmt)

    def _id(self, name: str) -> str:
        self._n += 1
        return f"chart-{self._n}-{name}"

    def chart(self, fig: go.Figure, name: str) -> str:
        """Register a figure; returns the id of its container."""
        cid = self._id(name)
        self.figures[cid] = pio.to_json(fig, validate=False)
        self.names[cid] = name
        self.objects[name] = fig
        return cid

    def chart_set(self, figs: dict[str, go.Figure], name: str, group: str) -> str:
        """Register one figure per unit, shown in one container driven by a unit selector."""
        cid = self._id(name)
        self.figsets[cid] = {u: pio.to_json(f, validate=False) for u, f in figs.items()}
        self.names[cid] = name
        self.set_objects[name] = dict(figs)
        return cid

    def new_group(self, default: str) -> str:
        """A new unit-selector group with its default unit."""
        g = f"group-{len(self.groups) + 1}"
        self.groups[g] = default
        return g

    def payload(self) -> str:
        """All figures as one JSON object for the page's loader."""
        parts = [f"{json.dumps(k)}:{v}" for k, v in self.figures.items()]
        sets = []
        for k, figs in self.figsets.items():
            inner = ",".join(f"{json.dumps(u)}:{v}" for u, v in figs.items())
            sets.append(f"{json.dumps(k)}:{{{inner}}}")
        template = pio.templates[TEMPLATE].to_plotly_json()
        template = json.dumps(template, cls=PlotlyJSONEncoder)
        return script_json("{\"figures\":{" + ",".join(parts) + "},\"sets\":{" + ",".join(sets)
                     + "},\"config\":" + json.dumps(PLOTLY_CONFIG)
                     + ",\"template\":" + template + "}")
