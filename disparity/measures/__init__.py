"""Disparity measures: gaps, inequality indices, health-equity toolkit (issue 4)."""

# --- composite indices and regional benchmarking (issue 6) ---
from .benchmark import BenchmarkResult, benchmark
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

__all__: list[str] = []

# --- composite indices and regional benchmarking (issue 6) ---
__all__ += [
    "entropy_weights", "topsis", "composite_index", "coupling_coordination", "obstacle_degree",
    "integration_index", "benchmark",
    "EntropyWeights", "TopsisResult", "CompositeIndex", "ObstacleDegree", "BenchmarkResult",
    "COORDINATION_BANDS", "UNIFICATION_ITEMS",
]
