"""Regression models and inference (issues 3 and 11)."""

from .linear import ols
from .results import MarginalEffects, ModelResult, ModelSpec, ModelSummary

__all__: list[str] = ["ols", "ModelResult"]
