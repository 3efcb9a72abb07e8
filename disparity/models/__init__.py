"""Regression models and inference (issues 3 and 11)."""

__all__: list[str] = []
