"""An immutable, picklable mapping for the ``spec``/``options``/``params`` fields of frozen results."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["FrozenMap", "freeze"]


class FrozenMap(Mapping[str, Any]):
    """A read-only mapping (``m["key"]``, ``m.get``, iteration, ``dict(m)``) that pickles as data.

    ``types.MappingProxyType`` would be read-only too but cannot be pickled; a result's ``spec``
    must survive ``pickle`` and must not change after the fit.
    """

    __slots__ = ("_data",)
    _data: dict[str, Any]

    def __init__(self, data: Mapping[str, Any] | None = None, /, **kw: Any) -> None:
        items = {**(data or {}), **kw}
        frozen = {k: FrozenMap(v) if isinstance(v, dict) else v for k, v in items.items()}
        object.__setattr__(self, "_data", frozen)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("FrozenMap is read-only")

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (self._data,))

    def copy(self) -> dict[str, Any]:
        """A plain, mutable ``dict`` copy (as ``dict.copy``; the spec itself stays read-only)."""
        return dict(self._data)

    def __or__(self, other: Mapping[str, Any]) -> dict[str, Any]:
        return {**self._data, **other}

    def __ror__(self, other: Mapping[str, Any]) -> dict[str, Any]:
        return {**other, **self._data}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self._data) == dict(other)

    __hash__ = None  # type: ignore[assignment]  # values may be unhashable (arrays, lists)

    def __repr__(self) -> str:
        return repr(self._data)


def freeze(obj: Any, *names: str) -> None:
    """In a frozen dataclass's ``__post_init__``: replace the mapping fields ``names`` by FrozenMaps
    (nested dicts too, so ``result.spec.direction`` is read-only as well)."""
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, Mapping) and not isinstance(value, FrozenMap):
            object.__setattr__(obj, name, FrozenMap(value))
