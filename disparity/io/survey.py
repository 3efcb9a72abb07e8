"""Survey microdata loader: Stata, SPSS, SAS, CSV, Excel and Parquet into labelled DataFrames."""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataFormatError, EncodingError, SpecificationError
from . import encoding as enc
from ._dta import (
    DOUBLE_MISSING_BITS,
    DOUBLE_MISSING_STEP,
    FLOAT_MISSING_BITS,
    FLOAT_MISSING_STEP,
    INT_MISSING_BASE,
    read_dta_raw,
    sniff_version,
    strl_keys,
)
from ._excel import check_workbook, read_frame
from ._mixed import mixed_error_dta as _mixed_error
from ._mixed import mixed_error_frame as _mixed_error_frame
from ._sav import check_sav
from .codebook import Codebook, VariableInfo, stored

__all__ = ["read_survey", "MISSING_PRESETS"]

# Missing-value conventions of the large Chinese surveys.
# CFPS: negative codes; usual cleaning treats -10...-1 as missing (DOMAIN.md section 4; -1/-2 by
# common practice).
_CFPS = {
    -1: "-1 don't know (不知道)",
    -2: "-2 refused (拒绝回答)",
    -8: "-8 not applicable (不适用)",
    -9: "-9 missing (缺失)",
    -10: "-10 cannot judge (无法判断)",
}
MISSING_PRESETS: dict[str, dict[int, str]] = {
    "cfps": {k: _CFPS.get(k, f"{k} CFPS negative code") for k in range(-10, 0)},
    # Harmonized CHARLS marks missing data with Stata extended missing values, which are always
    # recoded; the preset only names them.
    "charls": {},
}
_EXT_NAMES = {"charls": {"d": "don't know", "m": "missing", "r": "refused", "s": "skipped"}}

_EXTENSIONS = {
    ".dta": "dta",
    ".sav": "sav",
    ".zsav": "sav",
    ".por": "por",
    ".sas7bdat": "sas7bdat",
    ".xpt": "xpt",
    ".csv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".parquet": "parquet",
    ".pq": "parquet",
}

_SAS7BDAT_MAGIC = bytes.fromhex("000000000000000000000000c2ea8160b31411cfbd92080009c7318c181f1011")


def _sniff(head: bytes) -> str | None:
    if sniff_version(head) is not None:
        return "dta"
    if head[:4] in (b"$FL2", b"$FL3"):
        return "sav"
    if head[:32] == _SAS7BDAT_MAGIC:
        return "sas7bdat"
    if head.startswith(b"HEADER RECORD*******LIB"):
        return "xpt"
    if head[:4] == b"PAR1":
        return "parquet"
    if head[:4] == b"PK\x03\x04":
        return "xlsx"
    if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    if b"SPSS PORT FILE" in head or head[:40].strip(b" \r\n\x00") == b"" and len(head) >= 200:
        return "por"
    return None


def _detect_format(path: Path) -> str:
    ext = path.suffix.lower()
    kind = _EXTENSIONS.get(ext)
    if kind is None:
        raise DataFormatError(
            f"{path}: unsupported file extension {ext!r}. read_survey reads "
            f"{', '.join(sorted(_EXTENSIONS))}; rename the file if its extension is wrong."
        )
    with open(path, "rb") as fh:
        head = fh.read(512)
    if not head:
        raise DataFormatError(f"{path}: the file is empty (0 bytes); re-export or re-download it.")
    sniffed = _sniff(head)
    if kind in ("xlsx", "xls"):
        check_workbook(path)  # says what the file really is (HTML, CSV text, encrypted, ...)
        return kind
    if kind == "por":
        if b"SPSS" not in head and b"ASCII SPSS" not in head:
            raise DataFormatError(f"{path}: named .por but has no SPSS portable-file header.")
        return kind
    if kind == "csv":
        if sniffed in ("dta", "sav", "sas7bdat", "parquet", "xlsx", "xls"):
            raise DataFormatError(
                f"{path}: named {ext} but its contents are a {sniffed} file; rename it to the right "
                "extension."
            )
        if b"\x00" in head:
            raise DataFormatError(f"{path}: named {ext} but contains binary data; it is not a text file.")
        return kind
    if sniffed != kind:
        what = f"a {sniffed} file" if sniffed else "not a recognised file of any supported format"
        raise DataFormatError(
            f"{path}: named {ext} but its contents are {what}. Check the file (it may be corrupt, "
            "or the extension may be wrong) and rename it to the right extension."
        )
    return kind


@dataclass
class _Column:
    """A column on its way to the frame: raw values plus what the loader learned about it."""

    name: str
    values: Any  # numpy array or pandas array
    label: str | None = None
    value_labels: dict[Any, str] = field(default_factory=dict)
    missing: np.ndarray | None = None  # True where recoded to missing
    reasons: Counter = field(default_factory=Counter)
    fmt: str | None = None
    note: str | None = None
    is_text: bool = False
    missing_codes: set = field(default_factory=set)  # codes recoded to missing by missing=
    stored_dtype: np.dtype | None = None  # the file's integer type, when read into int8


def read_survey(
    path: str | Path,
    *,
    encoding: str | None = None,
    missing: str | Mapping[str, Sequence[float]] | None = None,
    columns: Sequence[str] | None = None,
    convert_categoricals: bool = True,
    convert_dates: bool = True,
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """Read survey microdata with labels, an honest encoding and explicit missing-value recoding.

    Parameters
    ----------
    path : str or Path
        A .dta (Stata formats 113-119 natively, older ones through pyreadstat), .sav/.zsav/.por,
        .sas7bdat, .xpt, .csv, .xlsx/.xlsm, .xls (Excel 97-2003) or .parquet file. The file is only
        read, never written. What the file is comes from its contents: a wrong extension, an HTML
        page or CSV text saved as ``.xls``, or a password-protected workbook is refused with an error
        that says what the file really is.
    encoding : str, optional
        Text encoding of files that do not declare one (Stata <= 13, some SPSS and CSV files). By
        default it is detected: UTF-8, then GB18030 when the bytes decode as Chinese text, then the
        legacy Western default (Windows-1252); see :mod:`disparity.io.encoding`. An explicit value
        wins (also over a file's declaration).
    missing : {"cfps", "charls"} or mapping, optional
        Codes to recode to missing: ``"cfps"`` (-10...-1), ``"charls"`` (names the Stata extended
        missing values of harmonized CHARLS), or ``{column or "*": [codes]}``. Stata extended missing
        values ``.a``-``.z`` always become NA with their letter kept as the reason.
    columns : sequence of str, optional
        Read only these columns (in this order).
    convert_categoricals : bool
        Turn value-labelled variables whose every non-missing value has a label into ordered
        Categoricals (categories in code order). Partly labelled variables stay numeric; their labels
        are kept in the codebook.
    convert_dates : bool
        Convert Stata %td/%tc variables to datetimes.
    sheet : str or int, optional
        The worksheet of an Excel workbook, by name or 0-based position (default: the first). Only
        for .xlsx/.xls files.

    Returns
    -------
    DataFrame
        With ``df.attrs["codebook"]`` a :class:`~disparity.io.codebook.Codebook` (variable labels,
        value labels, missing-value counts and reasons, file SHA-256, format, version, encoding).

    Raises
    ------
    DataFormatError
        Missing, empty, truncated or corrupt files; an extension that does not match the contents.
    EncodingError
        Text that decodes under no candidate encoding (the variable is named), or under an explicit
        ``encoding=`` that does not fit.
    SpecificationError
        Unknown columns or missing-value options.

    Examples
    --------
    >>> df = dp.read_survey(dp.datasets.path("chifeng_survey_v117_gbk.dta"), missing="cfps")
    >>> df.shape, df["urban"].cat.categories.tolist()
    ((3000, 25), ['农村', '城镇'])
    >>> cb = df.attrs["codebook"]
    >>> cb.encoding, cb["income"].missing_recoded
    ('gb18030', 53)
    """
    path = Path(path)
    if not path.exists():
        raise DataFormatError(f"{path}: no such file. Check the path (relative paths start at {Path.cwd()}).")
    if path.is_dir():
        raise DataFormatError(f"{path}: is a directory, not a data file.")
    if encoding is not None:
        try:
            "".encode(encoding)
        except LookupError:
            raise SpecificationError(
                f"encoding={encoding!r} is not an encoding Python knows; try 'gb18030', 'utf-8' or "
                "'cp1252'."
            ) from None
    preset, spec = _parse_missing(missing)
    kind = _detect_format(path)
    if sheet is not None and kind not in ("xlsx", "xls"):
        raise SpecificationError(f"sheet= applies to Excel workbooks (.xlsx, .xls); {path.name} is a {kind} file.")
    if columns is not None:
        columns = list(columns)
    reader = {
        "dta": _read_dta,
        "sav": _read_readstat,
        "por": _read_readstat,
        "sas7bdat": _read_readstat,
        "xpt": _read_readstat,
        "csv": _read_csv,
        "xlsx": _read_excel,
        "xls": _read_excel,
        "parquet": _read_parquet,
    }[kind]
    opts: dict[str, Any] = {"sheet": sheet} if kind in ("xlsx", "xls") else {}
    cols, meta = reader(path, kind, encoding=encoding, columns=columns, preset=preset,
                        convert_dates=convert_dates, **opts)
    _apply_missing_spec(cols, spec)
    frame, infos = _assemble(cols, convert_categoricals)
    sheet_name = meta.pop("_sheet", None)
    book = Codebook(variables=tuple(infos), n_rows=len(frame), **meta)
    frame.attrs["codebook"] = stored(book)
    if sheet_name is not None:
        frame.attrs["sheet"] = sheet_name
    return frame


def _parse_missing(missing: Any) -> tuple[str | None, dict[str, dict[float, str]]]:
    if missing is None:
        return None, {}
    if isinstance(missing, str):
        if missing not in MISSING_PRESETS:
            raise SpecificationError(
                f"missing={missing!r} is not a known preset; use one of {sorted(MISSING_PRESETS)} or a "
                "mapping {column or '*': [codes]}."
            )
        codes = MISSING_PRESETS[missing]
        return missing, ({"*": {k: v for k, v in codes.items()}} if codes else {})
    if isinstance(missing, Mapping):
        out: dict[str, dict[float, str]] = {}
        for k, v in missing.items():
            if isinstance(v, (str, bytes)) or not isinstance(v, Sequence | np.ndarray | set):
                raise SpecificationError(
                    f"missing[{k!r}] must be a list of codes, e.g. {{'{k}': [-9, -8]}}; got {v!r}."
                )
            out[str(k)] = {float(c): f"code {c:g}" for c in v}
        return None, out
    raise SpecificationError(f"missing= must be a preset name or a mapping, not {type(missing).__name__}.")


# ---------------------------------------------------------------------------------------------
# Stata


def _read_dta(path: Path, kind: str, *, encoding, columns, preset, convert_dates):
    with open(path, "rb") as fh:
        version = sniff_version(fh.read(32))
    if version is None or version < 113 or version == 116:
        return _read_readstat(path, kind, encoding=encoding, columns=columns, preset=preset,
                              convert_dates=convert_dates)
    try:
        dta = read_dta_raw(path, columns)
    except (DataFormatError, SpecificationError):
        raise
    except (ValueError, IndexError, OverflowError, MemoryError) as err:
        raise DataFormatError(f"{path}: the file is corrupt ({err}); re-export or re-download it.") from None
    order = columns if columns is not None else [v.name for v in dta.variables]
    byname = {v.name: v for v in dta.variables}

    # Collect every piece of text, by owner, to choose the encoding(s).
    declared = "utf-8" if dta.version >= 118 else None
    strl_cache: dict[str, list[tuple[int, int]]] = {}
    groups: dict[str, list[bytes]] = {"data label": [dta.data_label]}
    for name in order:
        v = byname[name]
        groups[f"{name} (variable label)"] = [v.label]
        if v.kind == "str":
            groups[name] = pd.unique(dta.columns[name]).tolist()
        elif v.kind == "strL":
            keys = strl_keys(dta.columns[name], dta.version, dta.byteorder)
            strl_cache[name] = keys
            groups[name] = [dta.strls.get(k, b"") for k in set(keys)]
    used_labels = {byname[n].label_name for n in order if byname[n].label_name}
    for lname in used_labels:
        if lname in dta.value_labels:
            groups[f"value label {lname.decode('latin-1')}"] = list(dta.value_labels[lname][1])
    if encoding is not None:
        decision = enc.OwnerEncodings(encoding, "given by the caller", {})
    elif declared:
        decision = enc.OwnerEncodings(declared, f"declared by the file format (Stata {dta.version})", {})
    else:
        try:
            decision = enc.detect_by_owner(groups)
        except enc.MixedEncodingError as err:
            raise _mixed_error(path, err, dta, strl_cache) from None
    e = decision.encoding
    eo = decision.of

    cols: list[_Column] = []
    ext_names = _EXT_NAMES.get(preset or "", {})
    for name in order:
        v = byname[name]
        raw = dta.columns[name]
        c = _Column(name=name, values=raw, fmt=v.format,
                    label=enc.decode(v.label, eo(f"{name} (variable label)"), f"{name} (variable label)") or None)
        if v.kind == "str":
            codes, uniques = pd.factorize(raw)
            decoded = pd.array([enc.decode(b, eo(name), name) for b in uniques.tolist()], dtype="string")
            c.values = decoded.take(codes)
            c.is_text = True
        elif v.kind == "strL":
            keys = strl_cache[name]
            dec = {k: enc.decode(dta.strls.get(k, b""), eo(name), name) for k in set(keys)}
            c.values = pd.array([dec[k] for k in keys], dtype="string")
            c.is_text = True
        else:
            c.values, c.missing, reasons = _stata_missing(raw, v.kind)
            if v.stored:
                c.stored_dtype = np.dtype(v.stored)  # read narrow; widened back unless it becomes categorical
            for letter, n in reasons.items():
                desc = f".{letter}" + (f" {ext_names[letter]}" if letter in ext_names else "")
                c.reasons[desc if letter else "."] += n
            if v.label_name:
                table = dta.value_labels.get(v.label_name)
                if table is not None:
                    vals, texts = table
                    owner = f"value label {v.label_name.decode('latin-1')}"
                    c.value_labels = {
                        int(k): enc.decode(t, eo(owner), owner) for k, t in zip(vals.tolist(), texts, strict=True)
                    }
                else:
                    c.note = f"value label {v.label_name.decode('latin-1')!r} is referenced but not in the file"
            if convert_dates and v.format.startswith(("%td", "%d", "%tc")):
                c.values = _stata_dates(c.values, c.missing, v.format)
        cols.append(c)
    meta = dict(
        path=str(path),
        sha256=dta.sha256,
        format="dta",
        version=str(dta.version),
        encoding=e,
        encoding_reason=decision.reason,
        data_label=enc.decode(dta.data_label, eo("data label"), "data label") or None,
    )
    if e == "mixed":
        for c in cols:
            if c.is_text and c.name in decision.by_owner:
                c.note = (c.note + "; " if c.note else "") + f"text encoding {decision.by_owner[c.name]}"
    return cols, meta


def _stata_missing(raw: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray | None, Counter]:
    """Locate Stata missing values (., .a-.z); return values, mask (or None) and counts by letter."""
    reasons: Counter = Counter()
    if kind in INT_MISSING_BASE:
        base = INT_MISSING_BASE[kind]
        if kind == "i1":
            if len(raw) == 0 or int(raw.max()) < base:  # one vectorised pass: no missing codes at all
                return raw, None, reasons
            counts = np.bincount(raw.view(np.uint8), minlength=256)
            # stored values 101..127 are ., .a..z ; as uint8 these are the same indices
            miss_counts = counts[base:128]
            if not miss_counts.any():
                return raw, None, reasons
        else:
            m = raw >= base
            if not m.any():
                return raw, None, reasons
            miss_counts = np.bincount((raw[m] - base).astype(np.int64), minlength=27)
        mask = raw >= base
        for i, n in enumerate(miss_counts.tolist()):
            if n:
                reasons["" if i == 0 else chr(ord("a") + i - 1)] += n
        return raw, mask, reasons
    bits: np.ndarray = raw.view(np.int32 if kind == "f4" else np.int64)
    first, step = (FLOAT_MISSING_BITS, FLOAT_MISSING_STEP) if kind == "f4" else (DOUBLE_MISSING_BITS, DOUBLE_MISSING_STEP)
    mask = bits >= first
    nan_mask = np.isnan(raw)
    if not mask.any():
        return raw, (nan_mask if nan_mask.any() else None), reasons
    idx = ((bits[mask] - first) // step).astype(np.int64)
    for i, n in enumerate(np.bincount(np.clip(idx, 0, 26), minlength=27).tolist()):
        if n:
            reasons["" if i == 0 else chr(ord("a") + i - 1)] += n
    return raw, mask | nan_mask, reasons


def _stata_dates(values: np.ndarray, mask: np.ndarray | None, fmt: str) -> np.ndarray:
    base = np.datetime64("1960-01-01")
    v = values.astype(np.float64)
    if mask is not None:
        v = np.where(mask, np.nan, v)
    if fmt.startswith("%tc"):
        out = base.astype("datetime64[ms]") + np.where(np.isnan(v), 0, v).astype("int64").astype("timedelta64[ms]")
    else:
        out = base.astype("datetime64[D]") + np.where(np.isnan(v), 0, v).astype("int64").astype("timedelta64[D]")
        out = out.astype("datetime64[s]")
    out = out.copy()
    out[np.isnan(v)] = np.datetime64("NaT")
    return out


# ---------------------------------------------------------------------------------------------
# SPSS / SAS / old Stata through pyreadstat


def _read_readstat(path: Path, kind: str, *, encoding, columns, preset, convert_dates):
    import pyreadstat

    fn: Any = {  # pyreadstat readers (signatures differ)
        "dta": pyreadstat.read_dta,
        "sav": pyreadstat.read_sav,
        "por": pyreadstat.read_por,
        "sas7bdat": pyreadstat.read_sas7bdat,
        "xpt": pyreadstat.read_xport,
    }[kind]
    kwargs: dict[str, Any] = dict(usecols=columns, disable_datetime_conversion=not convert_dates)
    if kind in ("sav", "dta"):
        kwargs["user_missing"] = True
    if kind == "sav":
        check_sav(path)  # a damaged dictionary can crash the C reader: refuse it first

    if kind == "por":
        if encoding is not None:
            raise SpecificationError(
                f"{path}: SPSS portable (.por) files carry their own character translation table; "
                "encoding= cannot be applied. Omit it, or convert the file to .sav in SPSS."
            )

    def run(enc_name: str | None):
        try:
            if kind == "por":
                return fn(str(path), **kwargs)
            return fn(str(path), encoding=enc_name, **kwargs)
        except pyreadstat.ReadstatError as err:
            msg = str(err)
            if "encoding" in msg.lower() or "convert" in msg.lower() or "unicode" in msg.lower():
                raise EncodingError(f"{path}: {msg}") from None
            raise DataFormatError(
                f"{path}: the file could not be read ({msg}); it is truncated, corrupt or not a "
                f"{kind} file."
            ) from None
        except UnicodeDecodeError as err:
            raise EncodingError(f"{path}: {err}") from None

    if kind == "por":
        df, meta = run(None)
        decision: enc.EncodingDecision | enc.OwnerEncodings = enc.EncodingDecision(
            "ascii", "SPSS portable file (its own translation table)")
        recode = None
    elif encoding is not None:
        df, meta = run(encoding)
        decision = enc.EncodingDecision(encoding, "given by the caller")
        recode = None
    else:
        try:
            df, meta = run(None)
            declared = getattr(meta, "file_encoding", None)
        except EncodingError:
            df, meta, declared = None, None, None
        if df is not None and declared:
            decision = enc.EncodingDecision(str(declared), "declared in the file")
            recode = None
        else:
            # No declaration: read bytes losslessly as Latin-1, detect, then re-decode.
            df, meta = run("latin1")
            recode = "latin1"
            groups: dict[str, list[bytes]] = {}
            for owner, b in _text_pieces_from_frame(df, meta, lossless=True):
                groups.setdefault(owner, []).append(b)
            if getattr(meta, "file_label", None):
                groups["data label"] = [meta.file_label.encode("latin-1")]
            try:
                decision = enc.detect_by_owner(groups)
            except enc.MixedEncodingError as err:
                raise _mixed_error_frame(path, err, df) from None
    of = decision.of if isinstance(decision, enc.OwnerEncodings) else (lambda owner: decision.encoding)
    cols = _columns_from_readstat(df, meta, recode, of, kind)
    meta_out = dict(
        path=str(path),
        sha256=_sha256(path),
        format=kind,
        version=str(getattr(meta, "file_format_version", "") or "") or None,
        encoding=decision.encoding,
        encoding_reason=decision.reason,
        data_label=(getattr(meta, "file_label", None) or None),
    )
    if recode and meta_out["data_label"]:
        meta_out["data_label"] = _redecode(meta_out["data_label"], of("data label"), "data label")
    return cols, meta_out


def _redecode(s: str, encoding: str, owner: str) -> str:
    return enc.decode(s.encode("latin-1"), encoding, owner)


def _text_pieces_from_frame(df: pd.DataFrame, meta: Any, lossless: bool) -> list[tuple[str, bytes]]:
    pieces: list[tuple[str, bytes]] = []
    for name, lab in zip(meta.column_names, meta.column_labels or [], strict=False):
        if lab:
            pieces.append((f"{name} (variable label)", lab.encode("latin-1")))
    for name, labels in (meta.variable_value_labels or {}).items():
        pieces.extend((f"{name} (value labels)", str(t).encode("latin-1")) for t in labels.values())
    for name in df.columns:
        if df[name].dtype == object or pd.api.types.is_string_dtype(df[name].dtype):
            for u in pd.unique(df[name].dropna()):
                pieces.append((str(name), str(u).encode("latin-1")))
    return pieces


def _columns_from_readstat(df, meta, recode, enc_of, kind) -> list[_Column]:
    labels = dict(zip(meta.column_names, meta.column_labels or [None] * len(meta.column_names), strict=False))
    vlabels = meta.variable_value_labels or {}
    user_missing = getattr(meta, "missing_ranges", {}) or {}
    user_missing_values = getattr(meta, "missing_user_values", {}) or {}
    cols = []
    for name in df.columns:
        s = df[name]
        lab = labels.get(name)
        if recode and lab:
            lab = _redecode(lab, enc_of(f"{name} (variable label)"), f"{name} (variable label)")
        c = _Column(name=str(name), values=None, label=lab or None,
                    fmt=(getattr(meta, "original_variable_types", {}) or {}).get(name))
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            vals = s.astype(object)
            if recode:
                uniq = {u: _redecode(u, enc_of(str(name)), str(name)) for u in pd.unique(vals.dropna())}
                vals = vals.map(uniq)
            # pyreadstat returns SAS/Stata extended missings as strings with user_missing; keep text.
            c.values = pd.array(vals.where(vals.notna(), None).tolist(), dtype="string")
            c.is_text = True
        else:
            arr = s.to_numpy()
            mask = None
            if name in user_missing and arr.dtype.kind in "fiu":
                m = np.zeros(len(arr), dtype=bool)
                for rng in user_missing[name]:
                    lo, hi = rng.get("lo"), rng.get("hi")
                    hit = (arr >= lo) & (arr <= hi)
                    n = int(hit.sum())
                    if n:
                        c.reasons[f"user-missing {lo:g}" if lo == hi else f"user-missing {lo:g}..{hi:g}"] += n
                    m |= hit
                mask = m
            if arr.dtype.kind == "f":
                nan = np.isnan(arr)
                if nan.any():
                    mask = nan if mask is None else (mask | nan)
            c.values, c.missing = arr, mask
            if name in user_missing_values:
                c.note = "user missing values: " + ", ".join(map(str, user_missing_values[name]))
        if name in vlabels:
            vl = {}
            for k, t in vlabels[name].items():
                key = int(k) if isinstance(k, (float, np.floating)) and float(k).is_integer() else k
                vl[key] = _redecode(str(t), enc_of(f"{name} (value labels)"), f"{name} (value labels)") if recode else str(t)
            c.value_labels = vl
        cols.append(c)
    return cols


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


# ---------------------------------------------------------------------------------------------
# CSV, Excel, Parquet


def _read_csv(path: Path, kind: str, *, encoding, columns, preset, convert_dates):
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    if encoding is not None:
        decision = enc.EncodingDecision(encoding, "given by the caller")
    elif bom:
        decision = enc.EncodingDecision("utf-8-sig", "UTF-8 byte-order mark")
    else:
        lines = raw.splitlines()
        decision = enc.detect([(f"line {i + 1}", b) for i, b in enumerate(lines)])
    e = decision.encoding
    try:
        text = raw.decode("ascii" if e == "ascii" else e)
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise EncodingError(
            f"{path}: line {line} cannot be decoded as {e}; pass the right encoding= (e.g. 'gb18030')."
        ) from None
    try:
        df = pd.read_csv(io.StringIO(text), usecols=columns)
    except pd.errors.EmptyDataError:
        raise DataFormatError(f"{path}: the CSV file has no columns.") from None
    except pd.errors.ParserError as err:
        raise DataFormatError(f"{path}: malformed CSV ({err}); check quoting and delimiters.") from None
    except ValueError as err:
        raise SpecificationError(f"{path}: {err}") from None
    if columns is not None:
        df = df[columns]
    cols = _columns_from_frame(df)
    return cols, dict(path=str(path), sha256=hashlib.sha256(raw).hexdigest(), format="csv",
                      version=None, encoding=e, encoding_reason=decision.reason, data_label=None)


def _read_excel(path: Path, kind: str, *, encoding, columns, preset, convert_dates, sheet=None):
    df, name = read_frame(path, sheet, columns)
    reason = "XLSX stores Unicode text" if kind == "xlsx" else "XLS (BIFF8) stores Unicode text"
    return _columns_from_frame(df), dict(path=str(path), sha256=_sha256(path), format=kind, version=None,
                                        encoding="utf-8", encoding_reason=reason, data_label=None,
                                        _sheet=name)


def _read_parquet(path: Path, kind: str, *, encoding, columns, preset, convert_dates):
    try:
        df = pd.read_parquet(path, columns=columns)
    except Exception as err:  # pyarrow raises several unrelated types for corrupt files
        if columns is not None and "No match for" in str(err):
            raise SpecificationError(f"{path}: {err}") from None
        raise DataFormatError(f"{path}: not a readable Parquet file ({type(err).__name__}: {err}).") from None
    return _columns_from_frame(df), dict(path=str(path), sha256=_sha256(path), format="parquet", version=None,
                                        encoding="utf-8", encoding_reason="Parquet stores UTF-8 text",
                                        data_label=None)


def _columns_from_frame(df: pd.DataFrame) -> list[_Column]:
    cols = []
    for name in df.columns:
        s = df[name]
        if isinstance(s.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(s.dtype):
            cols.append(_Column(name=str(name), values=s.array, is_text=True))
        else:
            arr = s.to_numpy()
            mask = np.isnan(arr) if arr.dtype.kind == "f" else None
            cols.append(_Column(name=str(name), values=arr, missing=mask if mask is not None and mask.any() else None))
    return cols


# ---------------------------------------------------------------------------------------------
# Common post-processing


def _apply_missing_spec(cols: list[_Column], spec: dict[str, dict[float, str]]) -> None:
    if not spec:
        return
    names = {c.name for c in cols}
    unknown = [k for k in spec if k != "*" and k not in names]
    if unknown:
        raise SpecificationError(
            f"missing= names columns that are not in the data: {unknown}. Use '*' for all columns."
        )
    for c in cols:
        codes = {**spec.get("*", {}), **spec.get(c.name, {})}
        if not codes or c.is_text:
            continue
        arr = c.values
        if arr.dtype.kind not in "fiu":
            continue
        base = c.missing if c.missing is not None else np.zeros(len(arr), dtype=bool)
        keys = np.array(sorted(codes), dtype=np.float64)
        keys_in_type = keys
        if arr.dtype.kind in "iu":
            info = np.iinfo(arr.dtype)
            keys_in_type = keys[(keys >= info.min) & (keys <= info.max) & (keys == np.round(keys))]
            if keys_in_type.size == 0:
                continue
            keys_in_type = keys_in_type.astype(arr.dtype)
        hit = np.isin(arr, keys_in_type) & ~base
        if not hit.any():
            continue
        found, counts = np.unique(arr[hit], return_counts=True)
        for v, n in zip(found.tolist(), counts.tolist(), strict=True):
            c.reasons[codes[float(v)]] += int(n)
        c.missing = base | hit
        c.missing_codes = set(keys.tolist())


def _assemble(cols: list[_Column], convert_categoricals: bool) -> tuple[pd.DataFrame, list[VariableInfo]]:
    data: dict[str, Any] = {}
    infos = []
    for c in cols:
        vals = c.values
        note = c.note
        if not c.is_text and isinstance(vals, np.ndarray) and vals.dtype.kind in "fiu":
            if convert_categoricals and c.value_labels:
                labels = {k: v for k, v in c.value_labels.items() if not (
                    isinstance(k, (int, float, np.integer, np.floating)) and float(k) in c.missing_codes)}
                cat = _to_categorical(vals, c.missing, labels)
                if cat is not None:
                    vals = cat
                else:
                    note = (note + "; " if note else "") + "partly labelled: kept numeric"
            if isinstance(vals, np.ndarray) and c.stored_dtype is not None:
                vals = vals.astype(c.stored_dtype)
            if isinstance(vals, np.ndarray) and c.missing is not None and c.missing.any():
                vals = vals.astype(np.float64) if vals.dtype.kind in "iu" else vals.copy()
                vals[c.missing] = np.nan
        data[c.name] = vals
        c.note = note
        infos.append(c)
    frame = pd.DataFrame(data, copy=False)
    out = [
        VariableInfo(
            name=c.name,
            label=c.label,
            dtype=str(frame[c.name].dtype),
            value_labels=MappingProxyType(dict(sorted(c.value_labels.items(), key=lambda kv: _sortkey(kv[0])))),
            missing_recoded=int(sum(c.reasons.values())),
            missing_reasons=MappingProxyType(dict(c.reasons)),
            format=c.fmt,
            note=c.note,  # each column's own (was the last column's note for every column)
        )
        for c in infos
    ]
    return frame, out


def _sortkey(k: Any) -> tuple[int, Any]:
    return (0, k) if isinstance(k, (int, float, np.integer, np.floating)) else (1, str(k))


def _to_categorical(vals: np.ndarray, mask: np.ndarray | None, labels: dict[Any, str]) -> pd.Categorical | None:
    """Ordered Categorical with categories in code order, or None if a value has no label."""
    num = {k: v for k, v in labels.items() if isinstance(k, (int, float, np.integer, np.floating))}
    if not num:
        return None
    keys = sorted(num)
    cats = [num[k] for k in keys]
    if len(set(cats)) != len(cats):
        return None  # two codes share a label: a categorical would merge them silently
    if vals.dtype == np.int8 and all(float(k).is_integer() for k in keys):
        lut8 = np.full(256, -2, dtype=np.int8)
        for i, k in enumerate(keys):
            if -128 <= k <= 127 and i < 127:
                lut8[int(k) & 0xFF] = i
        if len(keys) < 127:
            idx = vals.view(np.uint8)
            lo_v, hi_v = (int(vals.min()), int(vals.max())) if len(vals) else (0, -1)
            if set(range(lo_v, hi_v + 1)) <= set(int(k) for k in keys):
                unlabelled = np.zeros(256, dtype=bool)  # every value in [min, max] has a label
            else:
                unlabelled = (np.bincount(idx, minlength=256) > 0) & (lut8 == -2)
            if unlabelled.any():
                if mask is None:
                    return None
                # unlabelled values are fine only where they are recoded to missing
                if (np.isin(idx, np.flatnonzero(unlabelled)) & ~mask).any():
                    return None
            # The raw values are not needed once they are codes: convert in place to keep peak
            # memory at the size of the frame.
            codes = np.take(lut8, idx, out=vals, mode="clip")
            if mask is not None:
                codes[mask] = -1
            # the stubs want an Index of categories; pandas takes any list-like
            return pd.Categorical.from_codes(codes, categories=cats, ordered=True, validate=False)  # type: ignore[call-overload]
    if (vals.dtype.kind in "iu" and all(float(k).is_integer() for k in keys)
            and int(keys[-1]) - int(keys[0]) < 1 << 20):
        # Any integer width (pyreadstat writes labelled codes as int32): values outside the labelled
        # range are clipped to a sentinel slot on either side, so one table lookup finds every code.
        lo, hi = int(keys[0]) - 1, int(keys[-1]) + 1
        info = np.iinfo(vals.dtype)
        lo, hi = max(lo, int(info.min)), min(hi, int(info.max))
        lut = np.full(hi - lo + 1, -2, dtype=np.int8 if len(cats) < 127 else np.int32)
        for i, k in enumerate(keys):
            if lo <= k <= hi:
                lut[int(k) - lo] = i
        idx = np.clip(vals, lo, hi)
        idx -= np.asarray(lo, dtype=idx.dtype) if lo else 0
        codes = lut[idx]
    else:
        karr = np.asarray(keys, dtype=np.float64)
        pos = np.clip(np.searchsorted(karr, vals), 0, len(karr) - 1)
        codes = np.where(karr[pos] == vals, pos, -2).astype(np.int32)
    if mask is not None:
        codes = np.where(mask, -1, codes)
    if (codes == -2).any():
        return None
    return pd.Categorical.from_codes(codes.astype(np.int8 if len(cats) < 127 else np.int32), categories=cats,  # type: ignore[call-overload]
                                     ordered=True, validate=False)
