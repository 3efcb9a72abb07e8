"""Loaders: survey microdata, yearbook tables, region codes, codebooks."""

from . import regions
from .codebook import Codebook, codebook
from .survey import read_survey

__all__ = ["read_survey", "codebook", "Codebook", "regions"]
