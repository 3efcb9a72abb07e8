"""Regression models and inference (issues 3 and 11)."""

from .discrete import logit, probit
from .iv import iv
from .linear import ols
from .ordered import ordered
from .panel import HausmanResult, hausman, panel
from .quantile import quantreg
from .results import MarginalEffects, ModelResult, ModelSpec, ModelSummary

__all__: list[str] = ["ols", "logit", "probit", "ordered", "quantreg", "panel", "hausman", "iv", "ModelResult"]
