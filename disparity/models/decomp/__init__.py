"""Decompositions and mechanisms (issue 8): Blinder-Oaxaca, mediation, panel threshold regression."""

from .oaxaca import OaxacaResult, Threefold, Twofold, oaxaca
from .results import Estimate

__all__: list[str] = ["oaxaca"]
