"""Shared machinery of the resampling loops: a resource check before starting, chunks, progress.

Every bootstrap, permutation and placebo loop in the package goes through three steps:

1. :func:`check_budget` estimates the memory the loop will hold and the time it will take, and
   refuses at once (a :class:`~disparity.errors.DataValueError` saying what would be needed) a
   request that cannot finish: more memory than the machine has available, or more than
   :data:`MAX_SECONDS` of computing.
2. The draws are made in chunks (:func:`chunk_size`, :func:`chunks`), so the working memory is
   O(chunk x clusters), not O(reps x n); only the per-draw statistics (a few numbers per draw) are
   kept.
3. :func:`progress_bar` shows a ``tqdm.auto`` bar (which renders in Jupyter) when the loop is
   expected to take more than :data:`PROGRESS_AFTER_SECONDS`, unless ``progress=False``, the
   output is not a terminal or notebook, or the process runs in continuous integration.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .errors import DataValueError, SpecificationError

__all__ = [
    "MAX_SECONDS",
    "Ticker",
    "PROGRESS_AFTER_SECONDS",
    "available_memory",
    "check_budget",
    "check_reps",
    "chunk_size",
    "chunks",
    "progress_bar",
    "single_threaded_blas",
    "time_call",
]

# A loop expected to run longer than this shows a progress bar (issue: "over ~2 s").
PROGRESS_AFTER_SECONDS = 2.0
# A request estimated to need more than a day of computing is refused rather than started: no
# analysis in this package needs it, and a typo (reps=10**8 for 10**3) should not hang a session.
MAX_SECONDS = 24 * 3600.0
# Working memory of one chunk of draws (per array); large enough for BLAS efficiency, small enough
# to stay far below any machine's memory.
CHUNK_BYTES = 8 * 2**20
# Share of the available memory a loop may plan to hold (the rest is left to the user's session).
MEMORY_SHARE = 0.8


def available_memory() -> int:
    """Bytes of memory available to a new allocation (Linux ``MemAvailable``; else physical memory)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):  # pragma: no cover - non-POSIX
        return 2**34


def _size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    raise AssertionError  # pragma: no cover


def _duration(s: float) -> str:
    if s < 120:
        return f"{s:.1f} s"
    if s < 2 * 3600:
        return f"{s / 60:.0f} min"
    if s < 3 * 86400:
        return f"{s / 3600:.1f} h"
    if s < 3 * 365 * 86400:
        return f"{s / 86400:,.0f} days"
    return f"{s / (365 * 86400):,.0f} years"


def check_reps(reps: Any, *, minimum: int, what: str, allow_zero: bool = False) -> int:
    """Return ``reps`` as an int if it is an integer >= ``minimum`` (or 0 when allowed)."""
    ok = isinstance(reps, int | np.integer) and not isinstance(reps, bool)
    if ok and (reps >= minimum or (allow_zero and reps == 0)):
        return int(reps)
    zero = "0 (none) or " if allow_zero else ""
    raise SpecificationError(f"{what}: reps={reps!r} must be {zero}an integer >= {minimum}.")


def check_budget(what: str, *, reps: int, bytes_needed: float, seconds_needed: float,
                 hint: str = "use fewer replicates") -> None:
    """Refuse a resampling request that cannot finish, before any draw is made.

    Parameters
    ----------
    what : str
        Name of the loop for the message (e.g. ``"wild cluster bootstrap"``).
    reps : int
        Number of draws requested.
    bytes_needed, seconds_needed : float
        Estimated peak memory the loop holds and its computing time.
    hint : str
        What the user can do instead.

    Raises
    ------
    DataValueError
        If the memory exceeds :data:`MEMORY_SHARE` of :func:`available_memory` or the time
        exceeds :data:`MAX_SECONDS`; the message gives both estimates.
    """
    avail = available_memory() * MEMORY_SHARE
    if bytes_needed > avail or seconds_needed > MAX_SECONDS:
        too = []
        if bytes_needed > avail:
            too.append(f"about {_size(bytes_needed)} of memory ({_size(avail)} is available)")
        if seconds_needed > MAX_SECONDS:
            too.append(f"about {_duration(seconds_needed)} of computing (the limit is "
                       f"{_duration(MAX_SECONDS)})")
        raise DataValueError(
            f"{what} with reps={reps:,} would need {' and '.join(too)}; refused. "
            f"{hint[:1].upper()}{hint[1:]}."
        )


def chunk_size(reps: int, per_draw_elements: int) -> int:
    """Draws per chunk so that one chunk's array holds about :data:`CHUNK_BYTES`.

    Depends only on the problem's shape (never on the machine), so results with a seed are the
    same everywhere.
    """
    return int(max(1, min(reps, CHUNK_BYTES // (8 * max(1, per_draw_elements)))))


def chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` pairs covering ``range(total)`` in steps of ``size``."""
    for start in range(0, total, size):
        yield start, min(total, start + size)


def _interactive() -> bool:
    """True when a progress bar would be seen: a terminal on stderr or a Jupyter kernel."""
    if os.environ.get("CI"):  # continuous-integration services set CI; their logs are not read live
        return False
    err = sys.stderr
    try:
        if err is not None and err.isatty():
            return True
    except (AttributeError, ValueError):
        pass
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # pragma: no cover - exotic IPython states
        return False
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class _Silent:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def progress_bar(total: int, *, desc: str, expected_seconds: float, progress: bool = True,
                 unit: str = "draw") -> Any:
    """A context manager with ``update(n)``: a ``tqdm.auto`` bar, or a silent stand-in.

    The bar is shown only when ``progress`` is true, the loop is expected to take more than
    :data:`PROGRESS_AFTER_SECONDS`, and someone can see it (see :func:`_interactive`).
    """
    if not isinstance(progress, bool | np.bool_):
        raise SpecificationError(f"progress={progress!r} must be True or False.")
    if not (progress and expected_seconds > PROGRESS_AFTER_SECONDS and _interactive()):
        return _Silent()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, leave=False, file=sys.stderr)


class Ticker:
    """Guard and progress of a loop of refits (a bootstrap replicate is a whole re-estimation).

    Construction checks the memory the loop will hold (before anything is allocated). The first
    :meth:`tick` (one replicate done) times it and checks the whole loop's time against
    :data:`MAX_SECONDS`, then opens the progress bar if the rest is expected to take over
    :data:`PROGRESS_AFTER_SECONDS`. Use as a context manager so the bar is closed.

    Examples
    --------
    >>> with Ticker("demo bootstrap", 3, bytes_needed=1e3, progress=False) as tick:
    ...     for _ in range(3):
    ...         tick()
    """

    def __init__(self, what: str, reps: int, *, bytes_needed: float, progress: bool = True,
                 hint: str = "use fewer replicates") -> None:
        if not isinstance(progress, bool | np.bool_):
            raise SpecificationError(f"progress={progress!r} must be True or False.")
        check_budget(what, reps=reps, bytes_needed=bytes_needed, seconds_needed=0.0, hint=hint)
        self.what, self.reps, self.progress, self.hint = what, reps, bool(progress), hint
        self.done = 0
        self._bar: Any = _Silent()
        self._t0 = time.perf_counter()

    def __call__(self, n: int = 1) -> None:
        self.done += n
        if self.done == n:  # first replicate(s): now the cost per replicate is known
            per = (time.perf_counter() - self._t0) / n
            rest = per * max(self.reps - self.done, 0)
            check_budget(self.what, reps=self.reps, bytes_needed=0.0, seconds_needed=rest,
                         hint=self.hint)
            self._bar = progress_bar(self.reps, desc=self.what, expected_seconds=rest,
                                     progress=self.progress, unit="rep")
        self._bar.update(n)

    def close(self) -> None:
        """Close the progress bar (also done on leaving a ``with`` block)."""
        self._bar.close()

    def __enter__(self) -> Ticker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_CONTROLLER: list[Any] = []


def single_threaded_blas() -> Any:
    """Context manager limiting BLAS to one thread while it is active.

    The resampling loops multiply many small matrices (a chunk of draws by a few columns); BLAS
    threads do not speed those up and, on a busy machine, make them several times slower
    (measured: 2.5x on 2 cores under load).
    """
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        import contextlib

        return contextlib.nullcontext()
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1, user_api="blas")


def time_call(fn: Callable[[], Any]) -> tuple[Any, float]:
    """Run ``fn`` once; return its result and the seconds it took (the loop's per-draw cost)."""
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0
