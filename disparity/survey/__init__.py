"""Design-based inference for complex surveys.

* :mod:`disparity.survey._core`: the one implementation of design-based variances (Taylor
  linearisation over multistage stratified designs, replicate weights, degrees of freedom) used by
  the measures, the models' ``vcov="survey"`` and the descriptives.
* :mod:`disparity.survey.descriptives`: :func:`svy_mean`, :func:`svy_total`, :func:`svy_ratio`,
  :func:`svy_quantile` and :func:`svy_tab` (also as ``dp.svy_*``).

The designs themselves are :class:`disparity.SurveyDesign` and :class:`disparity.ReplicateDesign`.
"""

from __future__ import annotations

__all__ = ["svy_mean", "svy_total", "svy_ratio", "svy_quantile", "svy_tab"]


def __getattr__(name: str):  # the descriptives import the measures, which import this package
    if name in __all__:
        from . import descriptives

        return getattr(descriptives, name)
    raise AttributeError(f"module 'disparity.survey' has no attribute {name!r}")
