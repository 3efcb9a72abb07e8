"""Tables, figures and reports (issue 5).

Builders (:func:`regression_table`, :func:`summary_table`, :func:`balance_table`,
:func:`measure_table`) return an immutable :class:`Table` that renders to HTML, LaTeX, Markdown,
DOCX (三线表) and XLSX; the figure functions draw with a bundled CJK font; :class:`Report` collects
tables and figures and saves them with a provenance manifest.
"""

from .builder import Report, build_manifest
from .figures import (
    coef_plot,
    event_study_plot,
    gap_trend_plot,
    lorenz_plot,
    marginal_effects_plot,
    radar_chart,
    region_bar_plot,
    save_figure,
)
from .fonts import set_theme
from .measure_table import measure_table
from .regression import regression_table
from .summary import balance_table, summary_table
from .tables import HeaderCell, Table

__all__: list[str] = [
    "Table", "HeaderCell", "regression_table", "summary_table", "balance_table", "measure_table",
    "Report", "build_manifest",
    "lorenz_plot", "gap_trend_plot", "coef_plot", "event_study_plot", "marginal_effects_plot",
    "radar_chart", "region_bar_plot", "save_figure", "set_theme",
]
