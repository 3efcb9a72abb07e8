"""Regression models and inference (issues 3 and 11).

Estimators: :func:`ols`, :func:`logit`, :func:`probit`, :func:`ordered`, :func:`quantreg`,
:func:`panel` (+ :func:`hausman`), :func:`iv`; for spending and use :func:`glm`,
:func:`poisson`, :func:`negbin`, :func:`zip`, :func:`zinb`, :func:`hurdle` (+ :func:`irr`), :func:`twopart`. Covariance kinds are defined once in
:mod:`disparity.models.covariance`; formulas from analysis files go through
:func:`disparity.models.formula.check_safe` (or ``safe=True``).
"""

from .count import hurdle, irr, negbin, poisson, zinb, zip
from .discrete import logit, probit
from .glm import glm
from .iv import iv
from .linear import ols
from .ordered import ordered
from .panel import HausmanResult, hausman, panel
from .quantile import quantreg
from .results import MarginalEffects, ModelResult, ModelSpec, ModelSummary
from .twopart import twopart

__all__: list[str] = [
    "ols",
    "logit",
    "probit",
    "ordered",
    "quantreg",
    "panel",
    "hausman",
    "iv",
    "glm",
    "poisson",
    "negbin",
    "zip",
    "zinb",
    "hurdle",
    "irr",
    "twopart",
    "ModelResult",
    "ModelSpec",
    "ModelSummary",
    "MarginalEffects",
    "HausmanResult",
]
