"""disparity: econometrics of urban-rural benefit disparities in China's basic medical insurance.

Layers (imports flow one way): ``disparity.io`` (loaders, codebook, regions) ->
``disparity.measures`` / ``disparity.models`` -> ``disparity.reports``. The report layer (tables,
figures, :class:`Report`) imports matplotlib and python-docx, so its names load on first use.
"""

from __future__ import annotations

from . import benefits, datasets, errors, measures, models, scale
from ._version import __version__
from .benefits import compare_schedules
from .design import ReplicateDesign, SurveyDesign
from .errors import *  # noqa: F403  (every error and warning class is an attribute of dp)
from .io import Codebook, codebook, read_survey, read_yearbook, regions
from .measures import *  # noqa: F403  (each subpackage defines __all__)
from .models import *  # noqa: F403
from .models import decomp as _decomp_module
from .models import did as _did_module
from .models.decomp import *  # noqa: F403
from .models.did import *  # noqa: F403
from .survey.descriptives import SurveyResult, svy_mean, svy_quantile, svy_ratio, svy_total
from .survey.tab import TabResult, svy_tab

_REPORT_NAMES = (
    "Table", "HeaderCell", "regression_table", "summary_table", "balance_table", "measure_table", "Report",
    "build_manifest", "lorenz_plot", "gap_trend_plot", "coef_plot", "event_study_plot",
    "marginal_effects_plot", "radar_chart", "region_bar_plot", "save_figure", "set_theme",
)

__all__ = [
    "__version__",
    "errors",
    *errors.__all__,
    "SurveyDesign",
    "ReplicateDesign",
    "SurveyResult",
    "svy_mean",
    "svy_total",
    "svy_ratio",
    "svy_quantile",
    "svy_tab",
    "TabResult",
    "read_survey",
    "read_yearbook",
    "codebook",
    "Codebook",
    "regions",
    "datasets",
    "benefits",
    "compare_schedules",
    "scale",
    *measures.__all__,
    *models.__all__,
    *_decomp_module.__all__,
    *_did_module.__all__,
    "reports",  # noqa: F405  (loaded on first use, see __getattr__)
    *_REPORT_NAMES,
]


def __getattr__(name: str):
    if name == "reports" or name in _REPORT_NAMES:
        import importlib

        reports = importlib.import_module(".reports", __name__)
        return reports if name == "reports" else getattr(reports, name)
    raise AttributeError(f"module 'disparity' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
