"""The hook that lets the in-memory functions accept engine tables (disparity.scale) too.

It lives at the top of the package, importing nothing, so measures and models can use it without
importing the scale layer (which imports them).

``dp.gap(table, ...)`` with an :class:`~disparity.scale.EngineTable` (or an Ibis table) should
run :func:`disparity.scale.gap`. The in-memory modules add, as their first statement::

    from .._dispatch import engine_call
    res = engine_call("gap", df, y, group, reference=reference, ...)  # the call's own arguments
    if res is not NotImplemented:
        return res

(``dp.ols(formula, data, ...)`` and ``reimburse(schedule, claims, ...)`` pass their arguments in
the same order; the data argument is found by position.)

This module imports neither Ibis nor an engine, so the check costs nothing for DataFrames.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["is_engine_table", "engine_call", "dispatches", "DISPATCHED"]

#: In-memory functions that have an engine twin in :mod:`disparity.scale` (same signature), and
#: the position of their data argument.
DISPATCHED = {"gap": 0, "ge": 0, "theil": 0, "mld": 0, "gini": 0, "concentration_index": 0,
              "ols": 1, "reimburse": 1}


def is_engine_table(data: Any) -> bool:
    """True for an :class:`~disparity.scale.EngineTable` or an Ibis table expression."""
    module = type(data).__module__
    return module.startswith("disparity.scale") or module.startswith("ibis.")


def engine_call(name: str, *args: Any, **kwargs: Any) -> Any:
    """Run ``disparity.scale.<name>(*args, **kwargs)`` when the data argument is an engine
    table; otherwise return NotImplemented (the caller goes on in memory)."""
    pos = DISPATCHED.get(name)
    if pos is None or len(args) <= pos or not is_engine_table(args[pos]):
        return NotImplemented
    from . import scale

    return getattr(scale, name)(*args, **kwargs)


def dispatches(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate an in-memory function so that an engine table runs ``disparity.scale.<name>``.

    The data argument may be passed by position or by keyword; DataFrames go straight through.
    """

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        pos = DISPATCHED[name]
        param = list(inspect.signature(fn).parameters)[pos]

        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            data = args[pos] if len(args) > pos else kwargs.get(param)
            if data is not None and is_engine_table(data):
                from . import scale

                if len(args) <= pos:
                    args = (*args, kwargs.pop(param))
                return getattr(scale, name)(*args, **kwargs)
            return fn(*args, **kwargs)

        return inner

    return wrap
