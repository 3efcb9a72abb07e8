"""The registry that lets the in-memory functions accept engine tables (disparity.scale) too.

It lives at the top of the package and imports nothing of it, so measures and models can use it
without knowing the scale layer (which imports them). An engine layer *registers* itself: a
predicate that recognises its tables by type, and its implementations by name::

    register_engine(is_my_table, {"gap": my_gap, "ols": my_ols, ...})

(:mod:`disparity.scale` does this when it is imported, which ``import disparity`` does). An
in-memory function decorated with ``@dispatches("gap")`` then hands a registered table to the
engine's ``gap`` with the call's own arguments; anything else (DataFrames) goes straight through,
at the cost of one predicate call.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["register_engine", "is_engine_table", "engine_call", "dispatches", "DISPATCHED"]

#: Names of the data argument of dispatching functions (``dp.gap(df, ...)``,
#: ``dp.ols(formula, data, ...)``, ``reimburse(schedule, claims, ...)``).
DATA_PARAMETERS = ("df", "data", "claims")

#: Dispatching in-memory functions and the position of their data argument (filled in by
#: :func:`dispatches` from each function's own signature).
DISPATCHED: dict[str, int] = {}

_ENGINES: list[tuple[Callable[[Any], bool], dict[str, Callable[..., Any]]]] = []


def register_engine(is_table: Callable[[Any], bool],
                    implementations: Mapping[str, Callable[..., Any]]) -> None:
    """Register an engine layer: ``is_table(obj)`` says whether ``obj`` is one of its tables;
    ``implementations`` maps in-memory function names to the engine's twins (same signature).
    Registering the same predicate again replaces its implementations."""
    for i, (pred, _) in enumerate(_ENGINES):
        if pred is is_table:
            _ENGINES[i] = (is_table, dict(implementations))
            return
    _ENGINES.append((is_table, dict(implementations)))


def _engine_of(data: Any) -> dict[str, Callable[..., Any]] | None:
    for pred, impls in _ENGINES:
        if pred(data):
            return impls
    return None


def is_engine_table(data: Any) -> bool:
    """True for a table of a registered engine layer (an ``EngineTable`` or an Ibis table)."""
    return _engine_of(data) is not None


def engine_call(name: str, *args: Any, **kwargs: Any) -> Any:
    """Run the registered engine's ``name`` when the data argument is one of its tables;
    otherwise return NotImplemented (the caller goes on in memory)."""
    pos = DISPATCHED.get(name)
    if pos is None or len(args) <= pos:
        return NotImplemented
    impls = _engine_of(args[pos])
    if impls is None or name not in impls:
        return NotImplemented
    return impls[name](*args, **kwargs)


def dispatches(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate an in-memory function so that a registered engine table runs the engine's
    ``name``. The data argument (the first parameter named as in :data:`DATA_PARAMETERS`) may be
    passed by position or by keyword."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        params = list(inspect.signature(fn).parameters)
        param = next(p for p in params if p in DATA_PARAMETERS)
        pos = params.index(param)
        DISPATCHED[name] = pos

        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if _ENGINES:
                data = args[pos] if len(args) > pos else kwargs.get(param)
                impls = None if data is None else _engine_of(data)
                if impls is not None and name in impls:
                    if len(args) <= pos:
                        args = (*args, kwargs.pop(param))
                    return impls[name](*args, **kwargs)
            return fn(*args, **kwargs)

        return inner

    return wrap
