"""Regression models and inference (issues 3 and 11).

Estimators: :func:`ols`, :func:`logit`, :func:`probit`, :func:`ordered`, :func:`quantreg`,
:func:`panel` (+ :func:`hausman`), :func:`iv`. Covariance kinds are defined once in
:mod:`disparity.models.covariance`; formulas from analysis files go through
:func:`disparity.models.formula.check_safe` (or ``safe=True``).
"""

from .discrete import logit, probit
from .iv import iv
from .linear import ols
from .ordered import ordered
from .panel import HausmanResult, hausman, panel
from .quantile import quantreg
from .results import MarginalEffects, ModelResult, ModelSpec, ModelSummary

__all__: list[str] = [
    "ols",
    "logit",
    "probit",
    "ordered",
    "quantreg",
    "panel",
    "hausman",
    "iv",
    "ModelResult",
    "ModelSpec",
    "ModelSummary",
    "MarginalEffects",
    "HausmanResult",
]
