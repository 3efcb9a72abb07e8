"""disparity: econometrics of urban-rural benefit disparities in China's basic medical insurance.

Layers (imports flow one way): ``disparity.io`` (loaders, codebook, regions) ->
``disparity.measures`` / ``disparity.models`` -> ``disparity.reports``.
"""

from __future__ import annotations

from . import errors
from ._version import __version__
from .design import SurveyDesign
from .errors import DisparityError
from . import benefits, datasets
from .benefits import compare_schedules
from .io import Codebook, codebook, read_survey, read_yearbook, regions
from .measures import *  # noqa: F401,F403  (each subpackage defines __all__)
from .models import *  # noqa: F401,F403
from .models.decomp import *  # noqa: F401,F403
from .models.did import *  # noqa: F401,F403
from . import scale  # noqa: E402  (imports Ibis only when used)

__all__ = [
    "__version__",
    "errors",
    "DisparityError",
    "SurveyDesign",
    "read_survey",
    "read_yearbook",
    "datasets",
    "benefits",
    "compare_schedules",
    "codebook",
    "Codebook",
    "regions",
    "scale",
]

# The report layer (tables, figures, reports) imports matplotlib and python-docx; load it on first use
# so that `import disparity` stays light.
_REPORT_NAMES = (
    "Table", "HeaderCell", "regression_table", "summary_table", "balance_table", "measure_table", "Report",
    "build_manifest", "lorenz_plot", "gap_trend_plot", "coef_plot", "event_study_plot",
    "marginal_effects_plot", "radar_chart", "region_bar_plot", "save_figure",
)
__all__ += ["reports", *_REPORT_NAMES]


def __getattr__(name: str):
    if name == "reports" or name in _REPORT_NAMES:
        import importlib

        reports = importlib.import_module(".reports", __name__)
        return reports if name == "reports" else getattr(reports, name)
    raise AttributeError(f"module 'disparity' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

