"""Decompositions and mechanisms (issue 8): Blinder-Oaxaca, mediation, panel threshold regression."""

from .oaxaca import OaxacaResult as OaxacaResult
from .oaxaca import Threefold as Threefold
from .oaxaca import Twofold as Twofold
from .oaxaca import oaxaca
from .results import Estimate as Estimate

__all__: list[str] = ["oaxaca"]
