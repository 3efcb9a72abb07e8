"""Deterministic, atomic, non-destructive file output shared by the renderers and the report builder.

Nothing disparity writes may destroy something it did not make: a single file is written only where
no file exists (unless the caller explicitly allows replacing it), and a report folder replaces only
an earlier disparity report (a folder with its ``manifest.json`` and nothing else). Data are
fsynced before the final rename, and files and folders get the permissions the user's umask gives.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import io
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from ..errors import OutputExistsError

__all__ = ["FIXED_ZIP_TIME", "FIXED_ISO_TIME", "normalise_zip", "atomic_write_bytes", "sha256_file",
           "refuse_existing", "check_report_target", "clean_stale_builds", "fsync_tree", "umask",
           "BUILD_MARKER", "MANIFEST"]

#: Timestamp written into every zip member (the earliest a zip can hold), so rebuilds are byte-identical.
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: Creation/modification time written into Office core properties.
FIXED_ISO_TIME = "2000-01-01T00:00:00Z"
#: The manifest that marks a folder as a report made by disparity.
MANIFEST = "manifest.json"
#: File inside a folder being built: "<pid> <host>" of the build, so a later build can tell a
#: leftover of a killed build from one still running.
BUILD_MARKER = ".disparity-building"
#: A leftover without a readable marker is removed once it is this old (seconds).
STALE_AFTER = 24 * 3600

_CORE_TIMES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")
# Files of a report folder written by disparity versions whose manifest does not list its files.
_REPORT_LAYOUT = re.compile(
    r"(index\.html|report\.docx|manifest\.json|tables/table\d+\.(tex|md|xlsx)|figures/figure\d+\.(png|svg))"
)


def _fix_core(xml: bytes) -> bytes:
    return _CORE_TIMES.sub(lambda m: m.group(1) + FIXED_ISO_TIME.encode() + m.group(3), xml)


def normalise_zip(data: bytes, patch: dict[str, Callable[[bytes], bytes]] | None = None) -> bytes:
    """Rewrite an Office (zip) file with fixed member timestamps and fixed core-property dates."""
    patch = {"docProps/core.xml": _fix_core, **(patch or {})}
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            if info.filename in patch:
                blob = patch[info.filename](blob)
            member = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            dst.writestr(member, blob)
    return out.getvalue()


def umask() -> int:
    """The process umask, read without changing it where the platform allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # pragma: no cover - platforms without /proc
    os.umask(mask)  # pragma: no cover
    return mask  # pragma: no cover


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":  # pragma: no cover - directories cannot be opened on Windows
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """fsync every file and folder under ``root`` (so a rename never publishes unwritten data)."""
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))


def refuse_existing(path: str | Path, *, overwrite: bool = False) -> None:
    """Raise :class:`OutputExistsError` if something exists at ``path`` (unless ``overwrite`` for a file)."""
    p = Path(path)
    if p.is_dir() and not p.is_symlink():
        raise OutputExistsError(f"{str(p)!r} is a folder; give a file name to write to.")
    if (p.exists() or p.is_symlink()) and not overwrite:
        raise OutputExistsError(
            f"{str(p)!r} already exists; disparity does not replace files it did not make. Choose another "
            "name, delete the file yourself, or pass overwrite=True."
        )


def atomic_write_bytes(path: Path, data: bytes, *, overwrite: bool = True) -> Path:
    """Write ``data`` to a temporary file beside ``path``, fsync it and rename it into place.

    With ``overwrite=False`` an existing ``path`` is never replaced (the final step links the new
    file into place, which fails if something is there), and :class:`OutputExistsError` is raised.
    """
    path = Path(path)
    if not overwrite:
        refuse_existing(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~umask())
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise OutputExistsError(f"{str(path)!r} appeared while it was written; it was not replaced.") from None
            except OSError:  # pragma: no cover - file systems without hard links
                refuse_existing(path)
                os.replace(tmp, path)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        _fsync_dir(path.parent)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _manifest_files(target: Path) -> set[str] | None:
    """Files the manifest of a report folder lists (None: an older manifest that lists none)."""
    try:
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise OutputExistsError(
            f"{str(target)!r} is a folder that is not a report made by disparity (no readable {MANIFEST}); "
            "it is not replaced. Choose another output folder."
        ) from None
    if not isinstance(manifest, dict) or not {"created", "inputs", "outputs", "packages"} <= set(manifest):
        raise OutputExistsError(
            f"{str(target)!r} has a {MANIFEST} that disparity did not write; the folder is not replaced. "
            "Choose another output folder."
        )
    files = manifest.get("files")
    return {str(f) for f in files} | {MANIFEST} if isinstance(files, list) else None


def check_report_target(target: str | Path) -> None:
    """Refuse a report output path that would destroy something disparity did not make.

    Allowed: a path that does not exist, an empty folder, or an earlier disparity report (a folder
    with its manifest and only the files it lists). Anything else raises :class:`OutputExistsError`.
    """
    target = Path(target)
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise OutputExistsError(
            f"{str(target)!r} exists and is not a folder; a report is a folder and would replace it. "
            "Choose another output path."
        )
    if not target.exists() or not any(target.iterdir()):
        return
    listed = _manifest_files(target)
    for p in sorted(target.rglob("*")):
        rel = p.relative_to(target).as_posix()
        if p.is_symlink() or (p.is_file() and not (rel in listed if listed is not None else _REPORT_LAYOUT.fullmatch(rel))):
            raise OutputExistsError(
                f"{str(target)!r} is a disparity report, but {rel!r} in it was not written by disparity; the "
                "folder is not replaced. Move that file out, or choose another output folder."
            )


def _alive(marker: Path) -> bool:
    """Whether the build that wrote ``marker`` may still be running."""
    try:
        pid_text, host = marker.read_text(encoding="ascii").split()
        pid = int(pid_text)
    except (OSError, ValueError):
        return time.time() - marker.parent.stat().st_mtime < STALE_AFTER
    if host != socket.gethostname():
        return time.time() - marker.parent.stat().st_mtime < STALE_AFTER
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - another user's live process
        return True
    return True


def clean_stale_builds(parent: Path, name: str) -> list[Path]:
    """Remove folders left by killed builds of ``parent / name``; returns what was removed."""
    removed = []
    for p in parent.glob(f".{glob_escape(name)}.*"):
        if not p.is_dir() or p.is_symlink() or not (p.name.endswith(".building") or p.name.endswith(".old")):
            continue
        marker = p / BUILD_MARKER
        if marker.exists():
            if _alive(marker):
                continue
        elif p.name.endswith(".building") and time.time() - p.stat().st_mtime < STALE_AFTER:
            continue  # too young to judge without a marker
        elif p.name.endswith(".old") and not (p / MANIFEST).exists():
            continue  # not recognisably ours
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    return removed


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def new_build_dir(target: Path) -> Path:
    """A temporary folder beside ``target`` with the umask's permissions and a build marker."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".building", dir=target.parent))
    os.chmod(tmp, 0o777 & ~umask())
    (tmp / BUILD_MARKER).write_text(f"{os.getpid()} {socket.gethostname()}", encoding="ascii")
    return tmp


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``).

    Returns False where the platform or file system cannot (the caller then falls back to two
    renames); raises OSError for any other failure.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):  # pragma: no cover - glibc older than 2.28 / musl
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EPERM):  # pragma: no cover - e.g. some FUSE
        return False
    raise OSError(err, os.strerror(err), str(b))


def publish_build(tmp: Path, target: Path) -> None:
    """Move a finished build into place, replacing an earlier report at ``target`` (checked again).

    An earlier report is swapped with the new one in one atomic step where the platform allows
    (Linux), so ``target`` is never missing; elsewhere it is moved aside, the new one renamed in, and
    the earlier one put back if that fails.
    """
    with contextlib.suppress(FileNotFoundError):
        (tmp / BUILD_MARKER).unlink()
    fsync_tree(tmp)
    check_report_target(target)
    if target.is_dir() and exchange(tmp, target):
        # tmp now holds the earlier report: mark it as a leftover of this process, then delete it
        with contextlib.suppress(OSError):
            (tmp / BUILD_MARKER).write_text(f"{os.getpid()} {socket.gethostname()}", encoding="ascii")
        _fsync_dir(target.parent)
        shutil.rmtree(tmp, ignore_errors=True)
        return
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        (old / BUILD_MARKER).write_text(f"{os.getpid()} {socket.gethostname()}", encoding="ascii")
        os.replace(target, old / "report")
    try:
        os.rename(tmp, target)
    except BaseException:
        if old is not None and not target.exists():
            os.replace(old / "report", target)
        raise
    _fsync_dir(target.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
