"""Loaders: survey microdata, yearbook tables, region codes, codebooks."""

from . import regions
from .codebook import Codebook, codebook
from .survey import read_survey
from .yearbook import read_yearbook

__all__ = ["read_survey", "read_yearbook", "codebook", "Codebook", "regions"]
