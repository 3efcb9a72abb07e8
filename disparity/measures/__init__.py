"""Disparity measures: gaps, inequality indices, health-equity toolkit (issue 4)."""

__all__: list[str] = []
