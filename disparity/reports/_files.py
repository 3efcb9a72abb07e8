"""Deterministic, atomic file output shared by the renderers and the report builder."""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["FIXED_ZIP_TIME", "FIXED_ISO_TIME", "normalise_zip", "atomic_write_bytes", "sha256_file"]

#: Timestamp written into every zip member (the earliest a zip can hold), so rebuilds are byte-identical.
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: Creation/modification time written into Office core properties.
FIXED_ISO_TIME = "2000-01-01T00:00:00Z"

_CORE_TIMES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


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


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
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
