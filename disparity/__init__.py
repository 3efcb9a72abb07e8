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
