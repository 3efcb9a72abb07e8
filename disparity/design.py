"""Survey designs shared by measures and models."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SurveyDesign:
    """A complex survey design, described by column names of the data it is used with.

    Parameters
    ----------
    weights : str, optional
        Column of sampling (probability) weights.
    strata : str, optional
        Column identifying strata.
    psu : str, optional
        Column identifying primary sampling units (clusters), nested within strata.
    fpc : str, optional
        Column with the finite-population correction: either the stratum population size (values
        > 1) or the sampling fraction (values in (0, 1]).

    Notes
    -----
    Design-based variances use Taylor linearisation (with-replacement first-stage approximation,
    as R ``survey::svydesign(ids=~psu, strata=~strata, weights=~w)`` and Stata ``svy``):

    .. math:: \\hat V(\\hat\\theta) = \\sum_h \\frac{n_h (1 - f_h)}{n_h - 1}
              \\sum_i (z_{hi} - \\bar z_h)(z_{hi} - \\bar z_h)'

    where :math:`z_{hi}` is the PSU total of the influence function.

    References
    ----------
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley.
    """

    weights: str | None = None
    strata: str | None = None
    psu: str | None = None
    fpc: str | None = None

    def columns(self) -> list[str]:
        """The data columns this design refers to."""
        return [c for c in (self.weights, self.strata, self.psu, self.fpc) if c is not None]
