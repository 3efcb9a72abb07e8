"""Errors raised by :mod:`disparity`.

Every error says what was wrong and what to do about it. All of them derive from
:class:`DisparityError`, so ``except dp.DisparityError`` catches anything the package raises on
purpose; each also derives from the built-in exception a Python user would expect (``ValueError``,
``KeyError``, ...), so generic handlers keep working.
"""

from __future__ import annotations

__all__ = [
    "DisparityError",
    "DataFormatError",
    "EncodingError",
    "RegionError",
    "AmbiguousRegionError",
    "YearbookLayoutError",
    "SpecificationError",
    "DataValueError",
    "CollinearityError",
    "OutputExistsError",
    "DisparityWarning",
    "PrecisionWarning",
    "FewClustersWarning",
    "CoercionWarning",
]


class DisparityError(Exception):
    """Base class of every error raised on purpose by disparity."""


class DataFormatError(DisparityError, ValueError):
    """A file is not what its name or contents claim (wrong extension, truncated, corrupt)."""


class EncodingError(DisparityError, UnicodeError):
    """Text could not be decoded with any candidate encoding, or the requested one is wrong."""


class RegionError(DisparityError, KeyError):
    """A region name or code is not recognised."""

    def __str__(self) -> str:  # KeyError quotes its message; we want plain text
        return str(self.args[0]) if self.args else ""


class AmbiguousRegionError(RegionError):
    """A region name could mean more than one region (e.g. 'Shanxi' for 山西 or 陕西)."""


class YearbookLayoutError(DisparityError, ValueError):
    """A yearbook table's layout could not be understood without guessing."""


class SpecificationError(DisparityError, ValueError):
    """Arguments, formulas or options do not describe a valid analysis."""


class DataValueError(DisparityError, ValueError):
    """Data values make the requested computation impossible (negatives in a log, no variation, ...)."""


class CollinearityError(SpecificationError):
    """Regressors are perfectly collinear; the message names the columns involved."""


class OutputExistsError(DisparityError, FileExistsError):
    """Writing would replace a file or folder that disparity did not make; the message names it."""

    def __str__(self) -> str:  # OSError formats its arguments; we want the plain message
        return str(self.args[0]) if self.args else ""


class DisparityWarning(UserWarning):
    """Base class of warnings issued by disparity."""


class PrecisionWarning(DisparityWarning):
    """A computation may have lost digits (e.g. an ill-conditioned design)."""


class FewClustersWarning(DisparityWarning):
    """Too few clusters for reliable cluster-robust inference, even by the wild bootstrap."""


class CoercionWarning(DisparityWarning):
    """Cells that could not be read were set to missing because the caller asked for ``errors="coerce"``.

    The warning lists the cells (reference and raw text); the same list is in the result's ``attrs``.
    """
