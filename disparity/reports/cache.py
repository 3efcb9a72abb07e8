"""The build cache of ``disparity report``: each step's result, keyed by the hash of its inputs.

A step's key is the SHA-256 of a canonical JSON record of everything its result depends on: the
step as written in the spec, the report language and seed, the key of the data table it reads
(which is the SHA-256 of the data file's bytes plus the loader options and filters), the keys of the
results it refers to, and a fingerprint of the software (the disparity version *and* the bytes of
its source files, and the versions of numpy, pandas, scipy, ...). A rebuild whose keys are all
unchanged does no computing: the rendered report files are taken from the cache too, so an
unchanged rebuild is byte-identical and fast; a change recomputes the steps that depend on it.

Where the cache lives, and why it is safe (see also SECURITY.md):

* In the user's own cache folder (``$DISPARITY_CACHE_DIR``, else ``$XDG_CACHE_HOME/disparity``,
  else ``~/.cache/disparity``; ``%LOCALAPPDATA%\\disparity`` on Windows), never beside the spec and
  never inside a report folder, so a cache is never shipped with a report or a replication package,
  and a spec or package cannot bring one along.
* Entries are pickles (result objects are frozen dataclasses of arrays and frames), and unpickling
  can run code; so every entry is signed with HMAC-SHA256 under a per-user secret key (32 random
  bytes in ``secret.key``, mode 0600, in a folder of mode 0700 owned by the user; it always lives
  in the user's own cache folder, even when ``--cache-dir`` names another) and the signature
  is checked, in constant time, before anything is unpickled. An entry that was not written by this
  user's disparity (copied in, edited, truncated, or signed with another key) is ignored and
  recomputed. The signature also binds the entry to its key, so entries cannot be swapped.
* Deleting the folder (or ``secret.key``) is always safe: everything is recomputed.

The cache is bounded: every build ends with :meth:`BuildCache.prune`, which removes the least
recently used entries until the step entries take at most :data:`DEFAULT_MAX_BYTES`
(``$DISPARITY_CACHE_MAX_MB`` overrides it; a read counts as a use). Only files the cache wrote
(named by their SHA-256 key, starting with the entry header) are ever removed.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import json
import os
import pickle
import secrets
import stat
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from .._version import __version__

__all__ = ["BuildCache", "default_cache_dir", "digest", "code_fingerprint", "RenderedFigure"]

#: Bumped when the layout or meaning of entries changes (old entries are then never read).
CACHE_FORMAT = "disparity-cache-1"
_MAGIC = b"DPC1"
_TAG = 32  # bytes of an HMAC-SHA256 tag
_KEY_FILE = "secret.key"
#: Third-party packages whose versions enter every key (results depend on them).
_KEY_PACKAGES = ("numpy", "scipy", "pandas", "statsmodels", "linearmodels", "formulaic", "matplotlib",
                 "python-docx", "openpyxl", "pyfixest", "pylopdf-fonts-zh-cn")
MISSING = object()
#: Size the step entries may take before a build's end prunes the least recently used (1 GiB).
DEFAULT_MAX_BYTES = 1 << 30
#: A temporary entry file older than this (seconds) was left by a killed build and is removed.
_STALE_TMP = 3600.0


def default_cache_dir() -> Path:
    """The user's cache folder for disparity (``$DISPARITY_CACHE_DIR`` overrides it)."""
    env = os.environ.get("DISPARITY_CACHE_DIR", "").strip()
    if env:
        return Path(env).expanduser()
    if sys.platform.startswith("win"):  # pragma: no cover - Windows
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "disparity" / "cache"
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "disparity"


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=repr).encode()


def digest(obj: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``obj``."""
    return hashlib.sha256(_canonical(obj)).hexdigest()


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the disparity version, the bytes of its source files and the versions of its
    dependencies: a key made by other code (even an uncommitted edit) never matches."""
    h = hashlib.sha256(f"{CACHE_FORMAT}\0{__version__}\0{sys.version}\0".encode())
    root = Path(__file__).resolve().parents[1]
    for p in sorted(root.rglob("*.py")):
        h.update(p.relative_to(root).as_posix().encode() + b"\0")
        h.update(p.read_bytes() + b"\0")
    for name in _KEY_PACKAGES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "-"
        h.update(f"{name}={version}\0".encode())
    return h.hexdigest()


@functools.lru_cache(maxsize=256)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (memoised per process by path, size and modification time)."""
    st = os.stat(path)
    return _file_digest(str(path), st.st_size, st.st_mtime_ns)


class RenderedFigure:
    """A figure already rendered to PNG and SVG (from the cache): saves the stored bytes.

    Stands in for a matplotlib figure in :class:`~disparity.reports.builder.Report` (which renders
    through ``savefig``), so a cached figure is neither rebuilt nor redrawn.
    """

    axes: tuple[()] = ()
    dp_serif = False

    def __init__(self, rendered: dict[str, bytes], dpi: int = 200) -> None:
        self.rendered = dict(rendered)
        self.dpi = dpi

    def savefig(self, buf: Any, *, format: str, dpi: int | None = None, **_: Any) -> None:  # noqa: A002
        if format not in self.rendered or (dpi is not None and dpi != self.dpi):
            raise KeyError(f"cached figure has no {format} at {dpi} dpi")
        buf.write(self.rendered[format])


class BuildCache:
    """Signed pickle entries under ``root`` (see the module docstring).

    Parameters
    ----------
    root : path, optional
        The cache folder; default :func:`default_cache_dir`. Created with mode 0700.
    key_dir : path, optional
        Where the secret key lives; default :func:`default_cache_dir` *whatever* ``root`` is, so a
        cache folder that came from elsewhere (with a key of its own) is never trusted.

    Examples
    --------
    >>> import tempfile
    >>> cache = BuildCache(tempfile.mkdtemp(), key_dir=tempfile.mkdtemp())
    >>> key = digest({"step": "gini", "data": "abc"})
    >>> cache.get(key) is MISSING
    True
    >>> cache.put(key, {"value": 0.3})
    True
    >>> cache.get(key)
    {'value': 0.3}
    """

    def __init__(self, root: str | Path | None = None, *, key_dir: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()
        self.key_dir = Path(key_dir) if key_dir is not None else default_cache_dir()
        self.hits = 0
        self.misses = 0
        self.unpicklable: list[str] = []
        self._secret: bytes | None = None

    # ------------------------------------------------------------------ the key
    def _key(self) -> bytes:
        if self._secret is None:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = self.key_dir / _KEY_FILE
            if os.path.lexists(path):
                self._secret = self._read_key(path)
            else:
                # written in full to a private temporary file, then linked into place: a concurrent
                # build sees either no key or the whole key, and the first link wins
                secret = secrets.token_bytes(32)
                fd, tmp = tempfile.mkstemp(prefix=".key.", dir=self.key_dir)  # mode 0600
                try:
                    with os.fdopen(fd, "wb") as fh:
                        fh.write(secret)
                        fh.flush()
                        os.fsync(fh.fileno())
                    os.link(tmp, path)
                except FileExistsError:
                    secret = self._read_key(path)
                finally:
                    os.unlink(tmp)
                self._secret = secret
        return self._secret

    def _read_key(self, path: Path) -> bytes:
        st = os.lstat(path)
        mine = not hasattr(os, "getuid") or st.st_uid == os.getuid()
        private = os.name != "posix" or not (st.st_mode & 0o077)
        if not stat.S_ISREG(st.st_mode) or not mine or not private or st.st_size != 32:
            # not a key this user's disparity wrote: trust nothing signed with it; start afresh
            os.unlink(path)
            self._secret = None
            return self._key()
        return path.read_bytes()

    def _entry(self, key: str) -> Path:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise ValueError(f"cache key {key!r} is not a SHA-256 hex digest")
        return self.root / "steps" / key[:2] / f"{key}.pkl"

    def _tag(self, key: str, payload: bytes) -> bytes:
        return hmac.new(self._key(), _MAGIC + key.encode("ascii") + b"\0" + payload, hashlib.sha256).digest()

    # ------------------------------------------------------------------ entries
    def get(self, key: str) -> Any:
        """The value stored under ``key``, or :data:`MISSING` (also for a bad or foreign entry)."""
        path = self._entry(key)
        try:
            blob = path.read_bytes()
        except OSError:
            self.misses += 1
            return MISSING
        head, tag, payload = blob[:len(_MAGIC)], blob[len(_MAGIC):len(_MAGIC) + _TAG], blob[len(_MAGIC) + _TAG:]
        if head != _MAGIC or not hmac.compare_digest(tag, self._tag(key, payload)):
            self.misses += 1  # not signed by us: never unpickled
            return MISSING
        try:
            value = pickle.loads(payload)  # noqa: S301 - signed by this user's secret key (checked above)
        except Exception:  # noqa: BLE001 - e.g. a class renamed since; recompute
            self.misses += 1
            return MISSING
        self.hits += 1
        with contextlib.suppress(OSError):  # mark the use, for least-recently-used pruning
            os.utime(path)
        return value

    def put(self, key: str, value: Any, *, what: str = "") -> bool:
        """Store ``value`` under ``key``; False (nothing stored) if it cannot be pickled."""
        try:
            payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - e.g. a result holding a closure: not cached
            self.unpicklable.append(what or type(value).__name__)
            return False
        path = self._entry(key)
        tag = self._tag(key, payload)  # creates the cache folder (mode 0700) and the key first
        path.parent.parent.mkdir(exist_ok=True, mode=0o700)
        path.parent.mkdir(exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".entry.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(_MAGIC + tag + payload)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return True


    # ------------------------------------------------------------------ size
    def _is_entry(self, path: Path) -> bool:
        name = path.name
        if not (name.endswith(".pkl") and len(name) == 68 and path.parent.name == name[:2]):
            return False
        if any(c not in "0123456789abcdef" for c in name[:64]):
            return False
        try:
            with open(path, "rb") as fh:
                return fh.read(len(_MAGIC)) == _MAGIC
        except OSError:
            return False

    def prune(self, max_bytes: int | None = None) -> tuple[int, int]:
        """Remove least recently used entries until the entries take at most ``max_bytes``.

        ``max_bytes`` defaults to ``$DISPARITY_CACHE_MAX_MB`` (megabytes) or
        :data:`DEFAULT_MAX_BYTES`; ``0`` empties the cache. Only files this cache wrote are
        removed (see the module docstring). Returns ``(entries removed, bytes kept)``.
        """
        if max_bytes is None:
            env = os.environ.get("DISPARITY_CACHE_MAX_MB", "").strip()
            try:
                max_bytes = int(float(env) * 2**20) if env else DEFAULT_MAX_BYTES
            except ValueError:
                max_bytes = DEFAULT_MAX_BYTES
        steps = self.root / "steps"
        if not steps.is_dir() or steps.is_symlink():
            return 0, 0
        entries: list[tuple[float, int, Path]] = []
        now = time.time()
        for sub in steps.iterdir():
            if sub.is_symlink() or not sub.is_dir() or len(sub.name) != 2:
                continue
            for path in sub.iterdir():
                try:
                    st = os.lstat(path)
                except OSError:
                    continue
                if not stat.S_ISREG(st.st_mode):
                    continue
                if path.name.startswith(".entry.") and now - st.st_mtime > _STALE_TMP:
                    with contextlib.suppress(OSError):
                        path.unlink()  # left by a killed build
                elif self._is_entry(path):
                    entries.append((st.st_mtime, st.st_size, path))
        total = sum(size for _, size, _ in entries)
        removed = 0
        for _, size, path in sorted(entries, key=lambda e: e[0]):  # oldest use first
            if total <= max_bytes:
                break
            with contextlib.suppress(OSError):
                path.unlink()
                total -= size
                removed += 1
        return removed, total


# ---------------------------------------------------------------------- analysis specs
def open_cache(cache: Any, dest: Path) -> BuildCache | None:
    """``cache=`` of :func:`~disparity.reports.pipeline.run_analysis` as a BuildCache (or None).

    A cache folder inside the report folder is refused: a report never ships its cache.
    """
    from ..errors import SpecificationError

    if cache is None or cache is False:
        return None
    store = cache if isinstance(cache, BuildCache) else BuildCache(None if cache is True else Path(cache))
    root, out = store.root.expanduser().resolve(), Path(dest).expanduser().resolve()
    if root == out or out in root.parents:
        raise SpecificationError(
            f"The build cache {str(root)!r} is inside the report folder {str(out)!r}; a report never ships "
            "its cache. Use the default cache folder or give another one."
        )
    try:
        store._key()
    except OSError as exc:
        raise SpecificationError(
            f"The build cache folder {str(store.root)!r} cannot be used ({exc.strerror or exc}); give another "
            "with --cache-dir, or build without it (--no-cache)."
        ) from None
    return store


def _refs(value: Any) -> set[str]:
    """Names of results that ``"$name"`` / ``"$name.attr"`` strings in ``value`` refer to."""
    if isinstance(value, str):
        return {value[1:].partition(".")[0]} if value.startswith("$") else set()
    if isinstance(value, list):
        return set().union(*(_refs(v) for v in value)) if value else set()
    if isinstance(value, dict):
        return set().union(*(_refs(v) for v in value.values())) if value else set()
    return set()


def step_keys(spec: Any, fingerprint: str) -> tuple[dict[str, str | None], dict[int, str | None]]:
    """Cache keys of every data table and every computing step of an analysis spec.

    A data table's key hashes its file's bytes (or the key of the table it is made ``from``) and
    its loader options; a step's key hashes the step as written, the language and seed, its data
    table's key and the keys of the results it refers to. ``None`` where a file cannot be read
    (the build then reports the error as usual).
    """
    from .pipeline import data_file

    raw = spec.raw
    data_keys: dict[str, str | None] = {}
    for name, d in raw["data"].items():
        opts = {k: d.get(k) for k in ("codes", "where", "index", "encoding", "missing", "dataset")}
        if "from" in d:
            parent = data_keys.get(d["from"])
            data_keys[name] = None if parent is None else digest({"from": parent, **opts})
            continue
        path = data_file(spec, name)
        if path is None:  # pragma: no cover - every table names a dataset, a path or a from
            data_keys[name] = None
            continue
        try:
            data_keys[name] = digest({"sha256": file_digest(path), "suffix": path.suffix.lower(), **opts})
        except OSError:
            data_keys[name] = None
    keys: dict[int, str | None] = {}
    by_name: dict[str, str | None] = {}
    common = {"fp": fingerprint, "lang": raw.get("lang", "zh"), "seed": raw.get("seed")}
    for i, st in enumerate(raw.get("steps", []), start=1):
        if "section" in st or "text" in st:
            continue
        refs = _refs(dict(st.get("args", {}))) | {r.split(".")[0] for r in st.get("results", [])}
        if "of" in st:
            refs.add(st["of"])
        parts = {"data": data_keys.get(st["data"]) if "data" in st else "", **{f"ref:{r}": by_name.get(r) for r in refs}}
        key = None if any(v is None for v in parts.values()) else digest({**common, "step": dict(st), **parts})
        keys[i] = key
        if "name" in st:
            by_name[st["name"]] = key
    return data_keys, keys


def _cached_report_class(base: type, store: BuildCache, key: str | None) -> Any:
    """A Report subclass whose rendered files are stored in the cache under ``key``, or, when
    given a cache ``entry``, written from it without rendering anything."""

    class CachedReport(base):
        entry: Any = None

        def _render_all(self, out: Path, progress: Any = None) -> dict[str, str]:
            if self.entry is not None:
                for rel, blob in self.entry["files"].items():
                    path = out / rel
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(blob)
                return dict(self.entry["written"])
            written = super()._render_all(out, progress)
            if key is not None:
                from ._files import BUILD_MARKER

                files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
                         if p.is_file() and p.name != BUILD_MARKER}
                store.put(key, {"files": files, "written": written}, what="rendered report")
            return written

    return CachedReport


def run_cached(spec: Any, dest: Path, store: BuildCache, say: Any) -> Path:
    """:func:`~disparity.reports.pipeline.run_analysis` with the build cache (see the module docstring)."""
    from . import pipeline
    from .builder import Report
    from .figures import figure_bytes

    raw = spec.raw
    lang = raw.get("lang", "zh")
    seed = raw.get("seed")
    steps = raw.get("steps", [])
    fp = code_fingerprint()
    data_keys, keys = step_keys(spec, fp)
    frames: dict[str, Any] = {}

    def frame_of(name: str) -> Any:
        if name not in frames:
            frames[name] = pipeline.load_frame(spec, name, frames)
        return frames[name]

    # does the report open with the synthetic-data statement? (needs the data, unless cached)
    syn_key = None if any(v is None for v in data_keys.values()) else digest({"fp": fp, "synthetic": data_keys})
    synthetic = store.get(syn_key) if syn_key else MISSING
    if synthetic is MISSING:
        synthetic = any(frame_of(n).attrs.get("synthetic") for n in raw["data"])
        if syn_key:
            store.put(syn_key, synthetic)
    items: list[Any] = [["text", pipeline.SYNTHETIC_TEXT[lang]]] if synthetic else []
    for i, st in enumerate(steps, start=1):
        if "section" in st:
            items.append(["section", st["section"]])
        elif "text" in st:
            items.append(["text", st["text"]])
        elif "table" in st or "figure" in st:
            items.append(["table" if "table" in st else "figure", keys[i], st.get("caption")])
    title = str(raw.get("title", "disparity analysis"))
    render_key = None if any(it[1] is None for it in items) else digest(
        {"fp": fp, "render": items, "title": title, "lang": lang})
    cls = _cached_report_class(Report, store, render_key)
    report = cls(title, lang=lang, inputs=pipeline.data_inputs(spec),
                 seeds={"seed": seed} if seed is not None else {}, spec=dict(raw))
    entry = store.get(render_key) if render_key is not None else MISSING
    if isinstance(entry, dict) and {"files", "written"} <= set(entry):
        say("unchanged since the last build: every step and the rendered files come from the cache")
        report.entry = entry
        say(f"writing {dest}")
        return _pruned(store, report.save(dest, progress=say, workdir=spec.base), say)
    if synthetic:
        report.add_text(pipeline.SYNTHETIC_TEXT[lang])

    values: dict[str, Any] = {}
    pending: dict[str, int] = {}

    def compute(i: int) -> Any:
        st = steps[i - 1]
        key = keys[i]
        value = store.get(key) if key is not None else MISSING
        if value is MISSING:
            needed = _refs(dict(st.get("args", {}))) | {r.split(".")[0] for r in st.get("results", [])}
            if "of" in st:
                needed.add(st["of"])
            view = {n: result(n) for n in needed if n in values or n in pending}
            value = pipeline.run_step(spec, i, st, view, frame_of, say)
            if "figure" in st:
                value = {"png": figure_bytes(value, "png"), "svg": figure_bytes(value, "svg")}
            if key is not None:
                store.put(key, value, what=f"step {i} ({st.get('call') or st.get('method') or 'table'})")
        return value

    def result(name: str) -> Any:
        if name not in values:
            values[name] = compute(pending.pop(name))
        return values[name]

    for i, st in enumerate(steps, start=1):
        if "section" in st:
            report.add_section(str(st["section"]))
        elif "text" in st:
            report.add_text(str(st["text"]))
        elif "call" in st or "method" in st:
            pending[st["name"]] = i
        elif "table" in st:
            report.add_table(compute(i), caption=st.get("caption"))
        else:
            report.add_figure(RenderedFigure(compute(i)), caption=st.get("caption"))
    for name, i in list(pending.items()):  # results no table uses: computed once, so errors show
        key = keys[i]
        if key is None or not store._entry(key).is_file():
            result(name)
    if store.unpicklable:
        say(f"not cached (cannot be pickled): {', '.join(store.unpicklable)}")
    say(f"writing {dest}")
    return _pruned(store, report.save(dest, progress=say, workdir=spec.base), say)


def _pruned(store: BuildCache, out: Path, say: Any) -> Path:
    """Keep the cache within its size after a build (least recently used entries go first)."""
    removed, _ = store.prune()
    if removed:
        say(f"build cache: removed {removed} least recently used entr{'y' if removed == 1 else 'ies'}")
    return out
