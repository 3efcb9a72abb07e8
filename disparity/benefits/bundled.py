"""Schedules bundled with the package (``data/schedules`` in a checkout, ``_data`` when installed)."""

from __future__ import annotations

from pathlib import Path

from ..errors import DataFormatError
from .schedule import Schedule

__all__ = ["load_schedule", "list_schedules"]

_SUFFIXES = (".toml", ".csv")


def _folders() -> list[Path]:
    pkg = Path(__file__).resolve().parents[1]
    return [p for p in (pkg / "_data" / "schedules", pkg.parent / "data" / "schedules") if p.is_dir()]


def list_schedules() -> list[str]:
    """Names of the bundled schedules (file names without extension).

    Examples
    --------
    >>> dp.benefits.list_schedules()
    ['illustrative_ncms_2015', 'illustrative_urbmi_2015', 'jiamusi_2018_urrbmi']
    """
    names = {p.stem for d in _folders() for p in d.iterdir() if p.suffix in _SUFFIXES}
    return sorted(names)


def load_schedule(name: str) -> Schedule:
    """Load a bundled schedule by name, e.g. ``"jiamusi_2018_urrbmi"``; see :func:`list_schedules`.

    Examples
    --------
    >>> s = dp.benefits.load_schedule("illustrative_urbmi_2015")
    >>> s.deductible["level2_hospital"]
    600.0
    """
    for folder in _folders():
        for suffix in _SUFFIXES:
            path = folder / f"{name}{suffix}"
            if path.is_file():
                if suffix == ".toml":
                    return Schedule.from_toml(path)
                return Schedule.from_csv(path)
    raise DataFormatError(
        f"No bundled schedule named {name!r}; available: {list_schedules()}. "
        "For your own file use Schedule.from_toml or Schedule.from_csv."
    )
