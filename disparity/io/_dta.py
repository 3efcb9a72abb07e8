"""A fast, byte-exact reader for Stata .dta files (formats 113-115 and 117-119).

It returns *raw* columns (numpy arrays of the stored integer/float values, fixed-width byte
strings, strL bytes) and raw label bytes; decoding text, recoding missing values and building
categoricals happen in :mod:`disparity.io.survey`, where the encoding is known. Keeping bytes raw is
what lets the loader detect GBK/GB18030 in legacy (format <= 117) files instead of silently reading
them as Latin-1.

The data section is read sequentially in chunks into preallocated column arrays (peak memory is
the frame plus one chunk), and the file's SHA-256 is computed on the same pass.

Format reference: StataCorp, "Description of the .dta file format" (``help dta``), formats 113-119.
"""

from __future__ import annotations

import hashlib
import struct
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DataFormatError

CHUNK_BYTES = 1 << 19  # 512 KiB of records per read: stays in L2 cache while columns are gathered
NARROW_CHUNK_ROWS = 1 << 15  # rows per read when labelled codes are narrowed (fewer, larger numpy calls)
NARROW_CHUNK_BYTES = 1 << 21  # ... but at most 2 MiB per read
HASH_QUEUE = 2  # data chunks waiting to be hashed (each in a preallocated buffer)

# Stata's missing-value sentinels: the smallest stored value that means "." for each type; the
# extended missing values .a-.z follow in steps of one (integers) or of the given bit increment.
INT_MISSING_BASE = {"i1": 101, "i2": 32741, "i4": 2147483621}
FLOAT_MISSING_BITS = 0x7F000000  # "." for float; .a = +0x800, ...
DOUBLE_MISSING_BITS = 0x7FE0000000000000  # "." for double; .a = +0x010000000000, ...
FLOAT_MISSING_STEP = 0x800
DOUBLE_MISSING_STEP = 0x010000000000

_NEW_TYPES = {65530: "i1", 65529: "i2", 65528: "i4", 65527: "f4", 65526: "f8", 32768: "strL"}
_OLD_TYPES = {251: "i1", 252: "i2", 253: "i4", 254: "f4", 255: "f8"}
_WIDTH = {"i1": 1, "i2": 2, "i4": 4, "f4": 4, "f8": 8}


@dataclass
class DtaVariable:
    name: str
    kind: str  # "i1", "i2", "i4", "f4", "f8", "str", "strL"
    width: int
    format: str
    label_name: bytes
    label: bytes
    stored: str = ""  # the stored type when the column was read into a narrower one ("i4" read as "i1")


@dataclass
class DtaFile:
    """Raw contents of a .dta file."""

    path: Path
    version: int
    byteorder: str  # "<" or ">"
    nobs: int
    data_label: bytes
    timestamp: bytes
    variables: list[DtaVariable]
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    value_labels: dict[bytes, tuple[np.ndarray, list[bytes]]] = field(default_factory=dict)
    strls: dict[tuple[int, int], bytes] = field(default_factory=dict)
    sha256: str = ""


class _Stream:
    """Sequential reader that hashes everything it reads and reports truncation clearly."""

    def __init__(self, path: Path):
        self.path = path
        self.fh = open(path, "rb")  # noqa: SIM115  (closed by read_dta_raw)
        self.hash = hashlib.sha256()
        self.pos = 0
        # The data section is hashed on a second thread (hashlib releases the GIL) while the main
        # thread gathers columns; at most HASH_QUEUE chunks wait, so memory stays bounded.
        # The chunks wait in a ring of preallocated buffers (no allocation per chunk: repeated large
        # allocations and frees interleaved with the column arrays fragment the heap and raise RSS).
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[Future] = deque()
        self._ring: list[bytearray] = []
        self._slot = 0

    def hash_later(self, buf: memoryview) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="dta-sha256")
            self._ring = [bytearray(len(buf)) for _ in range(HASH_QUEUE + 1)]
        while len(self._pending) >= HASH_QUEUE:  # the slot about to be reused is then free
            self._pending.popleft().result()
        slot = self._ring[self._slot % len(self._ring)]
        self._slot += 1
        if len(slot) < len(buf):
            slot.extend(bytes(len(buf) - len(slot)))
        view = memoryview(slot)[: len(buf)]
        view[:] = buf
        self._pending.append(self._pool.submit(self.hash.update, view))

    def flush_hash(self) -> None:
        while self._pending:
            self._pending.popleft().result()
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def read(self, n: int, what: str) -> bytes:
        if self._pending:
            self.flush_hash()
        b = self.fh.read(n)
        if len(b) != n:
            raise DataFormatError(
                f"{self.path}: the file ends early while reading {what} (byte {self.pos + len(b)}); "
                "it is truncated or corrupt. Re-export or re-download it."
            )
        self.hash.update(b)
        self.pos += n
        return b

    def readinto(self, buf: memoryview, what: str) -> None:
        n = self.fh.readinto(buf)
        if n != len(buf):
            raise DataFormatError(
                f"{self.path}: the file ends early while reading {what} (byte {self.pos + (n or 0)}); "
                "it is truncated or corrupt. Re-export or re-download it."
            )
        self.hash_later(buf)
        self.pos += n

    def expect(self, tag: bytes) -> None:
        got = self.read(len(tag), f"the tag {tag.decode()}")
        if got != tag:
            raise DataFormatError(
                f"{self.path}: expected {tag.decode()} at byte {self.pos - len(tag)} but found "
                f"{got[:20]!r}; the file is corrupt or not a Stata .dta file."
            )

    def size(self) -> int:
        import os

        return os.fstat(self.fh.fileno()).st_size

    def rest(self) -> bytes:
        self.flush_hash()
        b = self.fh.read()
        self.hash.update(b)
        self.pos += len(b)
        return b


def sniff_version(head: bytes) -> int | None:
    """The .dta format number from the first bytes of a file, or None if it is not a .dta file."""
    if head.startswith(b"<stata_dta><header><release>"):
        try:
            return int(head[28:31])
        except ValueError:
            return None
    if len(head) >= 2 and head[0] in (102, 103, 104, 105, 108, 110, 111, 112, 113, 114, 115) and head[1] in (1, 2):
        return head[0]
    return None


def _cstr(b: bytes) -> bytes:
    i = b.find(b"\x00")
    return b if i < 0 else b[:i]


def read_dta_raw(path: Path, columns: list[str] | None = None) -> DtaFile:
    """Read a .dta file's raw contents. Supports formats 113, 114, 115, 117, 118 and 119."""
    s = _Stream(path)
    try:
        head = s.fh.read(32)
        s.fh.seek(0)
        version = sniff_version(head)
        if version is None:
            raise DataFormatError(f"{path}: not a Stata .dta file (unrecognised header {head[:16]!r}).")
        if version >= 117:
            dta = _read_new(s, version, columns)
        elif version >= 113:
            dta = _read_old(s, version, columns)
        else:
            raise NotImplementedError(version)
        s.rest()
        dta.sha256 = s.hash.hexdigest()
        return dta
    finally:
        s.flush_hash()
        s.fh.close()


def _read_new(s: _Stream, version: int, columns: list[str] | None) -> DtaFile:
    s.expect(b"<stata_dta><header><release>")
    s.read(3, "release")
    s.expect(b"</release><byteorder>")
    bo = s.read(3, "byte order")
    if bo not in (b"LSF", b"MSF"):
        raise DataFormatError(f"{s.path}: unknown byte order {bo!r}; the file is corrupt.")
    e = "<" if bo == b"LSF" else ">"
    s.expect(b"</byteorder><K>")
    nvar = struct.unpack(e + ("I" if version == 119 else "H"), s.read(4 if version == 119 else 2, "K"))[0]
    s.expect(b"</K><N>")
    nobs = struct.unpack(e + ("I" if version == 117 else "Q"), s.read(4 if version == 117 else 8, "N"))[0]
    s.expect(b"</N><label>")
    llen = struct.unpack(e + ("B" if version == 117 else "H"), s.read(1 if version == 117 else 2, "label length"))[0]
    data_label = s.read(llen, "data label")
    s.expect(b"</label><timestamp>")
    tlen = s.read(1, "timestamp length")[0]
    timestamp = s.read(tlen, "timestamp")
    s.expect(b"</timestamp></header><map>")
    s.read(14 * 8, "map")
    s.expect(b"</map><variable_types>")
    types = np.frombuffer(s.read(2 * nvar, "variable types"), dtype=e + "u2")
    s.expect(b"</variable_types><varnames>")
    nlen = 33 if version == 117 else 129
    names_raw = s.read(nlen * nvar, "variable names")
    s.expect(b"</varnames><sortlist>")
    s.read((2 if version < 119 else 4) * (nvar + 1), "sort list")
    s.expect(b"</sortlist><formats>")
    flen = 49 if version == 117 else 57
    fmts_raw = s.read(flen * nvar, "formats")
    s.expect(b"</formats><value_label_names>")
    lbn_raw = s.read(nlen * nvar, "value label names")
    s.expect(b"</value_label_names><variable_labels>")
    vllen = 81 if version == 117 else 321
    vl_raw = s.read(vllen * nvar, "variable labels")
    s.expect(b"</variable_labels><characteristics>")
    while True:
        tag = s.read(4, "characteristics")
        if tag == b"<ch>":
            clen = struct.unpack(e + "I", s.read(4, "characteristic length"))[0]
            s.read(clen, "characteristic")
            s.expect(b"</ch>")
        elif tag == b"</ch":
            s.expect(b"aracteristics><data>")
            break
        else:
            raise DataFormatError(f"{s.path}: malformed characteristics section; the file is corrupt.")
    variables = []
    for i in range(nvar):
        t = int(types[i])
        if 1 <= t <= 2045:
            kind, width = "str", t
        elif t in _NEW_TYPES:
            kind = _NEW_TYPES[t]
            width = 8 if kind == "strL" else _WIDTH[kind]
        else:
            raise DataFormatError(f"{s.path}: variable {i + 1} has unknown type code {t}; the file is corrupt.")
        variables.append(
            DtaVariable(
                name=_cstr(names_raw[i * nlen : (i + 1) * nlen]).decode("utf-8" if version >= 118 else "latin-1"),
                kind=kind,
                width=width,
                format=_cstr(fmts_raw[i * flen : (i + 1) * flen]).decode("latin-1"),
                label_name=_cstr(lbn_raw[i * nlen : (i + 1) * nlen]),
                label=_cstr(vl_raw[i * vllen : (i + 1) * vllen]),
            )
        )
    dta = DtaFile(s.path, version, e, nobs, data_label, timestamp, variables)
    _read_data(s, dta, columns)
    s.expect(b"</data><strls>")
    while True:
        tag = s.read(3, "strls")
        if tag == b"GSO":
            v = struct.unpack(e + "I", s.read(4, "strL"))[0]
            o = struct.unpack(e + ("I" if version == 117 else "Q"), s.read(4 if version == 117 else 8, "strL"))[0]
            t = s.read(1, "strL type")[0]
            ln = struct.unpack(e + "I", s.read(4, "strL length"))[0]
            content = s.read(ln, "strL contents")
            if t == 130 and content.endswith(b"\x00"):
                content = content[:-1]
            dta.strls[(v, o)] = content
        elif tag == b"</s":
            s.expect(b"trls><value_labels>")
            break
        else:
            raise DataFormatError(f"{s.path}: malformed strL section; the file is corrupt.")
    while True:
        tag = s.read(5, "value labels")
        if tag == b"<lbl>":
            s.read(4, "value label length")
            name = _cstr(s.read(nlen, "value label name"))
            s.read(3, "padding")
            dta.value_labels[name] = _read_label_table(s, e)
            s.expect(b"</lbl>")
        elif tag == b"</val":
            s.expect(b"ue_labels></stata_dta>")
            break
        else:
            raise DataFormatError(f"{s.path}: malformed value-label section; the file is corrupt.")
    return dta


def _read_old(s: _Stream, version: int, columns: list[str] | None) -> DtaFile:
    hdr = s.read(4, "header")
    if hdr[1] not in (1, 2):
        raise DataFormatError(f"{s.path}: unknown byte order flag {hdr[1]}; the file is corrupt.")
    e = ">" if hdr[1] == 1 else "<"
    nvar, nobs = struct.unpack(e + "Hi", s.read(6, "dimensions"))
    data_label = _cstr(s.read(81, "data label"))
    timestamp = _cstr(s.read(18, "timestamp"))
    types = s.read(nvar, "variable types")
    names_raw = s.read(33 * nvar, "variable names")
    s.read(2 * (nvar + 1), "sort list")
    flen = 12 if version == 113 else 49
    fmts_raw = s.read(flen * nvar, "formats")
    lbn_raw = s.read(33 * nvar, "value label names")
    vl_raw = s.read(81 * nvar, "variable labels")
    while True:  # expansion fields
        dtype = s.read(1, "expansion fields")[0]
        ln = struct.unpack(e + "i", s.read(4, "expansion field length"))[0]
        if dtype == 0 and ln == 0:
            break
        s.read(ln, "expansion field")
    variables = []
    for i in range(nvar):
        t = types[i]
        if 1 <= t <= 244:
            kind, width = "str", t
        elif t in _OLD_TYPES:
            kind = _OLD_TYPES[t]
            width = _WIDTH[kind]
        else:
            raise DataFormatError(f"{s.path}: variable {i + 1} has unknown type code {t}; the file is corrupt.")
        variables.append(
            DtaVariable(
                name=_cstr(names_raw[i * 33 : (i + 1) * 33]).decode("latin-1"),
                kind=kind,
                width=width,
                format=_cstr(fmts_raw[i * flen : (i + 1) * flen]).decode("latin-1"),
                label_name=_cstr(lbn_raw[i * 33 : (i + 1) * 33]),
                label=_cstr(vl_raw[i * 81 : (i + 1) * 81]),
            )
        )
    dta = DtaFile(s.path, version, e, nobs, data_label, timestamp, variables)
    _read_data(s, dta, columns)
    while True:
        head = s.fh.read(4)
        if len(head) == 0:
            break
        s.hash.update(head)
        s.pos += len(head)
        if len(head) < 4:
            raise DataFormatError(f"{s.path}: the value-label section is truncated; the file is corrupt.")
        name = _cstr(s.read(33, "value label name"))
        s.read(3, "padding")
        dta.value_labels[name] = _read_label_table(s, e)
    return dta


def _read_label_table(s: _Stream, e: str) -> tuple[np.ndarray, list[bytes]]:
    n, txtlen = struct.unpack(e + "ii", s.read(8, "value label table"))
    if n < 0 or txtlen < 0:
        raise DataFormatError(f"{s.path}: a value-label table has a negative size; the file is corrupt.")
    off = np.frombuffer(s.read(4 * n, "value label offsets"), dtype=e + "i4")
    val = np.frombuffer(s.read(4 * n, "value label values"), dtype=e + "i4").astype(np.int64)
    txt = s.read(txtlen, "value label text")
    if n and (off.min() < 0 or off.max() >= max(txtlen, 1)):
        raise DataFormatError(f"{s.path}: a value-label table points outside its text; the file is corrupt.")
    texts = [_cstr(txt[o:]) for o in off.tolist()]
    return val, texts


def _read_data(s: _Stream, dta: DtaFile, columns: list[str] | None) -> None:
    names = [v.name for v in dta.variables]
    if columns is not None:
        missing = [c for c in columns if c not in names]
        if missing:
            from ..errors import SpecificationError

            raise SpecificationError(
                f"{s.path}: columns {missing} are not in the file; it has {len(names)} variables "
                f"({', '.join(names[:8])}{', ...' if len(names) > 8 else ''})."
            )
    wanted = set(columns) if columns is not None else set(names)
    e = dta.byteorder
    offsets, formats, fields = [], [], []
    off = 0
    for v in dta.variables:
        if v.name in wanted:
            fields.append(v.name)
            offsets.append(off)
            if v.kind == "str":
                formats.append(f"S{v.width}")
            elif v.kind == "strL":
                formats.append("V8")
            else:
                formats.append(e + v.kind)
        off += v.width
    reclen = off
    size = s.size()
    if reclen and dta.nobs > (size - s.pos) // reclen:
        raise DataFormatError(
            f"{s.path}: the header says {dta.nobs:,} observations of {reclen} bytes, more than the "
            f"{size - s.pos:,} bytes left in the file; it is truncated or corrupt."
        )
    rec = np.dtype({"names": fields, "formats": formats, "offsets": offsets, "itemsize": max(reclen, 1)})
    assert rec.fields is not None  # a structured dtype always has fields
    byname = {v.name: v for v in dta.variables}
    # Value-labelled int16/int32 codes (pyreadstat stores labelled int8 data as int32) are kept in
    # int8, Stata's byte type, while every value fits: peak memory stays near the frame's size.
    narrow = {n for n in fields if byname[n].kind in ("i2", "i4") and byname[n].label_name}
    out = {name: np.empty(dta.nobs, dtype=np.int8 if name in narrow else rec.fields[name][0]) for name in fields}
    if reclen == 0 or dta.nobs == 0:
        for name in narrow:
            out[name] = out[name].astype(byname[name].kind)
        dta.columns = out
        return
    chunk = max(1, CHUNK_BYTES // reclen, min(NARROW_CHUNK_ROWS, NARROW_CHUNK_BYTES // reclen) if narrow else 1)
    buf = bytearray(min(chunk, dta.nobs) * reclen)
    mv = memoryview(buf)
    start = 0
    runs = _runs([(n, rec.fields[n][1], byname[n].kind) for n in fields if n in narrow], e)
    while start < dta.nobs:
        n = min(chunk, dta.nobs - start)
        s.readinto(mv[: n * reclen], "the data")
        arr = np.frombuffer(buf, dtype=rec, count=n)
        fits: set[str] = set()
        for names, off, dt in runs:  # side-by-side labelled columns: one 2-D min/max for all of them
            block = np.ndarray((n, len(names)), dtype=dt, buffer=buf, offset=off, strides=(reclen, dt.itemsize))
            lo, hi = block.min(axis=0), block.max(axis=0)
            fits.update(nm for nm, a, b in zip(names, lo.tolist(), hi.tolist(), strict=True) if a >= -127 and b <= 100)
        for name in fields:
            if name in fits and name in narrow:
                np.copyto(out[name][start : start + n], arr[name], casting="unsafe")
                continue
            if name in narrow and not _narrow_into(arr[name], out[name][start : start + n], byname[name].kind):
                out[name] = _widen(out[name], start, byname[name].kind)
                narrow.discard(name)
            if name not in narrow:
                out[name][start : start + n] = arr[name]
        start += n
    for name in narrow:
        byname[name].stored, byname[name].kind = byname[name].kind, "i1"
    for v in dta.variables:
        if v.name not in out:
            continue
        a = out[v.name]
        if v.kind in _WIDTH and not a.dtype.isnative:
            a = a.astype(a.dtype.newbyteorder("="))
        if v.kind == "str" and v.width > 1 and dta.version >= 117 and len(a):
            # Bytes after a string's terminating NUL are undefined in formats >= 117: clear them.
            u = a.view(np.uint8).reshape(len(a), v.width)
            after = np.cumsum(u == 0, axis=1, dtype=np.int32) > 0
            u[after] = 0
        out[v.name] = a
    dta.columns = out


def _runs(cols: list[tuple[str, int, str]], e: str) -> list[tuple[list[str], int, np.dtype]]:
    """Group (name, offset, kind) of record fields into runs of adjacent fields of one integer type."""
    out: list[tuple[list[str], int, np.dtype]] = []
    for name, off, kind in sorted(cols, key=lambda c: c[1]):
        dt = np.dtype(e + kind)
        if out and out[-1][2] == dt and out[-1][1] + len(out[-1][0]) * dt.itemsize == off:
            out[-1][0].append(name)
        else:
            out.append(([name], off, dt))
    return out


def _narrow_into(src: np.ndarray, dst: np.ndarray, kind: str) -> bool:
    """Store int16/int32 Stata values as int8 Stata values (missing codes mapped); False if one does not fit."""
    base = INT_MISSING_BASE[kind]
    src = np.ascontiguousarray(src)  # a strided field of the record buffer: reductions are far faster contiguous
    lo, hi = int(src.min()), int(src.max())
    if lo >= -127 and hi <= 100:  # the usual case: no missing values in this chunk
        np.copyto(dst, src, casting="unsafe")
        return True
    miss = src >= base
    if lo < -127 or not ((src <= 100) | miss).all():
        return False
    np.copyto(dst, src, casting="unsafe")
    if miss.any():
        dst[miss] = (src[miss] - base + INT_MISSING_BASE["i1"]).astype(np.int8)
    return True


def _widen(narrow: np.ndarray, upto: int, kind: str) -> np.ndarray:
    """Back to the stored type: the first ``upto`` values converted, with missing codes mapped back."""
    full = np.empty(len(narrow), dtype=np.dtype(kind))
    head = narrow[:upto]
    full[:upto] = head
    miss = head >= INT_MISSING_BASE["i1"]
    if miss.any():
        full[:upto][miss] = head[miss].astype(full.dtype) - INT_MISSING_BASE["i1"] + INT_MISSING_BASE[kind]
    return full


def strl_keys(raw: np.ndarray, version: int, byteorder: str) -> list[tuple[int, int]]:
    """Decode the 8-byte (v, o) references of a strL column."""
    word = raw.view(byteorder + "u8").astype(np.uint64)
    vbits = {117: 32, 118: 16, 119: 24}[version]
    if byteorder == "<":  # v occupies the low bytes
        v = word & np.uint64((1 << vbits) - 1)
        o = word >> np.uint64(vbits)
    else:  # v comes first, so it occupies the high bytes
        v = word >> np.uint64(64 - vbits)
        o = word & np.uint64((1 << (64 - vbits)) - 1)
    return list(zip(v.tolist(), o.tolist(), strict=True))
