"""Decompositions and mechanisms (issue 8): Blinder-Oaxaca, Fairlie, mediation, panel threshold regression."""

from .fairlie import FairlieResult as FairlieResult
from .fairlie import fairlie
from .mediation import MediationResult as MediationResult
from .mediation import mediation
from .oaxaca import OaxacaResult as OaxacaResult
from .oaxaca import Threefold as Threefold
from .oaxaca import Twofold as Twofold
from .oaxaca import oaxaca
from .results import Estimate as Estimate
from .threshold import ThresholdResult as ThresholdResult
from .threshold import threshold

__all__: list[str] = ["oaxaca", "fairlie", "mediation", "threshold"]
