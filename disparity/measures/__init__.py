"""Disparity measures: gaps, inequality indices, health-equity toolkit (issue 4)."""

from ._result import CurveResult, MeasureResult
from .atkinson import atkinson
from .entropy import cv, ge, mld, theil
from .gini import gini, lorenz

__all__: list[str] = [
    "MeasureResult", "CurveResult", "gini", "lorenz", "ge", "theil", "mld", "cv", "atkinson",
]
