"""A structural check of SPSS .sav dictionaries before they reach the C reader.

pyreadstat (ReadStat) trusts a .sav file's dictionary: a damaged one (a numeric variable whose
type byte became a string width, value labels attached to a variable of the other kind, a record
length running past the end of the file) can crash the process instead of raising. This module
walks the header and the dictionary records (types 2, 3, 4, 6, 7 and 999) and checks that every
length stays inside the file and that the variables agree with each other, so that a damaged file
is refused with :class:`~disparity.errors.DataFormatError` first.

Format reference: the SPSS system-file format as documented by GNU PSPP ("System File Format",
PSPP developers' guide).
"""

from __future__ import annotations

import struct
from pathlib import Path

from ..errors import DataFormatError

_HEADER = 176
_STRING_FORMATS = (1, 2)  # A, AHEX


def check_sav(path: Path) -> None:
    """Raise DataFormatError if the .sav dictionary of ``path`` is inconsistent (zsav and sav)."""
    data = path.read_bytes()
    n = len(data)

    def bad(what: str, at: int) -> DataFormatError:
        return DataFormatError(
            f"{path}: the SPSS file is damaged ({what} at byte {at}); it cannot be read safely. Re-export "
            "or re-download it."
        )

    if n < _HEADER:
        raise bad("the header is truncated", n)
    e = "<"
    if struct.unpack_from("<i", data, 64)[0] not in (2, 3):
        e = ">"
        if struct.unpack_from(">i", data, 64)[0] not in (2, 3):
            raise bad("unknown layout code", 64)
    nominal, compression = struct.unpack_from(e + "ii", data, 68)
    if compression not in (0, 1, 2):
        raise bad(f"unknown compression {compression}", 72)
    pos = _HEADER
    kinds: list[int] = []  # per 8-byte segment: the variable's type (width, 0 numeric, -1 continuation)
    need_cont = 0

    def take(k: int, what: str) -> int:
        nonlocal pos
        if k < 0 or pos + k > n:
            raise bad(f"{what} runs past the end of the file", pos)
        start = pos
        pos += k
        return start

    def i32(what: str) -> int:
        return struct.unpack_from(e + "i", data, take(4, what))[0]

    while True:
        rec = i32("a record type")
        if rec == 2:
            at = pos
            typ, has_label, n_missing, prt, wrt = struct.unpack_from(e + "iiiii", data, take(20, "a variable record"))
            take(8, "a variable name")
            if not -1 <= typ <= 255:
                raise bad(f"variable type {typ}", at)
            if has_label not in (0, 1):
                raise bad("a variable-label flag", at)
            if n_missing not in (-3, -2, 0, 1, 2, 3):
                raise bad(f"missing-value count {n_missing}", at)
            if typ == -1:
                if need_cont == 0:
                    raise bad("a string continuation without a string", at)
                need_cont -= 1
            else:
                if need_cont:
                    raise bad("a long string with too few continuation records", at)
                fmt_type = (prt >> 16) & 0xFF
                if (typ > 0 and fmt_type not in (0, *_STRING_FORMATS)) or (typ == 0 and fmt_type in _STRING_FORMATS):
                    raise bad("a print format that does not match the variable type", at)
                if typ > 0 and n_missing < 0:
                    raise bad("a missing-value range on a string variable", at)
                need_cont = (typ + 7) // 8 - 1 if typ > 0 else 0
            kinds.append(typ)
            if has_label:
                ln = i32("a variable label length")
                take((ln + 3) // 4 * 4, "a variable label")
            take(abs(n_missing) * 8, "missing values")
        elif rec == 3:
            at = pos
            count = i32("a value-label count")
            if count < 0 or count * 9 > n - pos:
                raise bad(f"value-label count {count}", at)
            for _ in range(count):
                take(8, "a labelled value")
                ln = data[take(1, "a value-label length")]
                take((ln + 1 + 7) // 8 * 8 - 1, "a value label")
            if i32("the value-label variables record") != 4:
                raise bad("value labels without their variables record", pos - 4)
            nvars = i32("a value-label variable count")
            if nvars < 0 or nvars * 4 > n - pos:
                raise bad(f"value-label variable count {nvars}", pos - 4)
            idx = struct.unpack_from(e + f"{nvars}i", data, take(4 * nvars, "value-label variables"))
            types = set()
            for k in idx:
                if not 1 <= k <= len(kinds) or kinds[k - 1] == -1:
                    raise bad(f"value labels for variable index {k}, which does not exist", pos)
                types.add("num" if kinds[k - 1] == 0 else "str")
            if len(types) > 1:
                raise bad("one value-label set on numeric and string variables", pos)
        elif rec == 6:
            lines = i32("a document record")
            take(lines * 80 if lines >= 0 else -1, "the document record")
        elif rec == 7:
            at = pos
            _sub, size, count = struct.unpack_from(e + "iii", data, take(12, "an extension record"))
            if size < 0 or count < 0 or size * count > n - pos:
                raise bad("an extension record's length", at)
            take(size * count, "an extension record")
        elif rec == 999:
            take(4, "the dictionary terminator")
            break
        else:
            raise bad(f"unknown record type {rec}", pos - 4)
    if need_cont:
        raise bad("a long string with too few continuation records", pos)
    if nominal not in (-1, len(kinds)) and compression != 2:
        raise bad(f"the header's case size {nominal} differs from the dictionary's {len(kinds)}", 68)
    if not kinds:
        raise bad("no variables", pos)
