"""Disparity measures: gaps, inequality indices, health-equity toolkit (issue 4), composite indices
and regional benchmarking (issue 6).

Every measure takes a DataFrame and column names, the shared weights vocabulary
(``weights=``, ``weight_type=``), ``by=``, ``cluster=`` or ``design=``, and ``se=`` (``"analytic"``
influence-function/delta-method variance, ``"bootstrap"`` with ``reps=``/``seed=``, or ``"none"``),
and returns a frozen :class:`MeasureResult` (curves: :class:`CurveResult`).
"""

from ._result import CurveResult, MeasureResult
from .atkinson import atkinson
from .benchmark import BenchmarkResult, benchmark
from .ci_decomposition import ci_decomposition, horizontal_inequity
from .composite import (
    COORDINATION_BANDS,
    UNIFICATION_ITEMS,
    CompositeIndex,
    EntropyWeights,
    ObstacleDegree,
    TopsisResult,
    composite_index,
    coupling_coordination,
    entropy_weights,
    integration_index,
    obstacle_degree,
    topsis,
)
from .concentration import (
    DominanceResult,
    concentration_curve,
    concentration_index,
    dominance_test,
)
from .entropy import cv, ge, mld, theil
from .gap import gap
from .gini import gini, lorenz
from .incidence import benefit_incidence
from .protection import catastrophic, impoverishment, kakwani

__all__: list[str] = [
    "MeasureResult",
    "CurveResult",
    "DominanceResult",
    "gap",
    "gini",
    "lorenz",
    "ge",
    "theil",
    "mld",
    "cv",
    "atkinson",
    "concentration_index",
    "concentration_curve",
    "dominance_test",
    "ci_decomposition",
    "horizontal_inequity",
    "catastrophic",
    "impoverishment",
    "kakwani",
    "benefit_incidence",
    # composite indices and regional benchmarking (issue 6)
    "entropy_weights",
    "topsis",
    "composite_index",
    "coupling_coordination",
    "obstacle_degree",
    "integration_index",
    "benchmark",
    "EntropyWeights",
    "TopsisResult",
    "CompositeIndex",
    "ObstacleDegree",
    "BenchmarkResult",
    "COORDINATION_BANDS",
    "UNIFICATION_ITEMS",
]
