"""The codebook: what a loaded file contained and what the loader did to it."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pandas as pd

__all__ = ["Codebook", "VariableInfo", "codebook", "stored", "as_codebook"]


@dataclass(frozen=True)
class VariableInfo:
    """One variable's entry in a :class:`Codebook`."""

    name: str
    label: str | None = None
    dtype: str = ""
    value_labels: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    missing_recoded: int = 0
    missing_reasons: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    format: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Codebook:
    """Variables and provenance of a loaded data set.

    Attributes
    ----------
    variables : tuple of VariableInfo
    path, sha256, format, version, encoding, encoding_reason, n_rows, data_label, synthetic
    """

    variables: tuple[VariableInfo, ...]
    path: str | None = None
    sha256: str | None = None
    format: str | None = None
    version: str | None = None
    encoding: str | None = None
    encoding_reason: str | None = None
    n_rows: int = 0
    data_label: str | None = None
    synthetic: bool = False

    # pandas deep-copies DataFrame.attrs on many operations; a codebook is immutable, so share it.
    def __deepcopy__(self, memo: dict) -> Codebook:
        return self

    def __copy__(self) -> Codebook:
        return self

    def __getitem__(self, name: str) -> VariableInfo:
        for v in self.variables:
            if v.name == name:
                return v
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.variables]

    def variable_labels(self) -> dict[str, str | None]:
        return {v.name: v.label for v in self.variables}

    def value_labels(self) -> dict[str, dict[Any, str]]:
        return {v.name: dict(v.value_labels) for v in self.variables if v.value_labels}

    def tidy(self) -> pd.DataFrame:
        """One row per variable."""
        rows = [
            {
                "variable": v.name,
                "label": v.label,
                "dtype": v.dtype,
                "value_labels": "; ".join(f"{k}={lab}" for k, lab in v.value_labels.items()) or None,
                "n_value_labels": len(v.value_labels),
                "missing_recoded": v.missing_recoded,
                "missing_reasons": "; ".join(f"{k}: {n}" for k, n in v.missing_reasons.items()) or None,
                "format": v.format,
                "note": v.note,
            }
            for v in self.variables
        ]
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """The codebook as plain JSON-able data (value-label codes kept as [code, label] pairs)."""
        def py(x: Any) -> Any:
            return x.item() if hasattr(x, "item") else x

        out: dict[str, Any] = {"disparity_codebook": 1}
        out.update({k: py(getattr(self, k)) for k in _FILE_FIELDS})
        out["variables"] = [
            {"name": v.name, "label": v.label, "dtype": v.dtype,
             "value_labels": [[py(k), lab] for k, lab in v.value_labels.items()],
             "missing_recoded": int(v.missing_recoded),
             "missing_reasons": [[py(k), r] for k, r in v.missing_reasons.items()],
             "format": v.format, "note": v.note}
            for v in self.variables
        ]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Codebook:
        """Rebuild a codebook from :meth:`to_dict` (e.g. read back from a Parquet file's attrs)."""
        variables = tuple(
            VariableInfo(
                name=v["name"], label=v.get("label"), dtype=v.get("dtype", ""),
                value_labels=MappingProxyType({k: lab for k, lab in v.get("value_labels", [])}),
                missing_recoded=int(v.get("missing_recoded", 0)),
                missing_reasons=MappingProxyType({k: r for k, r in v.get("missing_reasons", [])}),
                format=v.get("format"), note=v.get("note"))
            for v in data.get("variables", [])
        )
        return cls(variables=variables, **{k: data.get(k) for k in _FILE_FIELDS
                                           if k not in ("n_rows", "synthetic")},
                   n_rows=int(data.get("n_rows") or 0), synthetic=bool(data.get("synthetic")))

    def provenance(self) -> dict[str, Any]:
        """File-level facts: path, SHA-256, format, version, encoding and why, rows, synthetic flag."""
        return {
            "path": self.path,
            "sha256": self.sha256,
            "format": self.format,
            "version": self.version,
            "encoding": self.encoding,
            "encoding_reason": self.encoding_reason,
            "n_rows": self.n_rows,
            "n_variables": len(self.variables),
            "data_label": self.data_label,
            "synthetic": self.synthetic,
        }

    def __str__(self) -> str:
        p = self.provenance()
        head = "\n".join(f"{k}: {v}" for k, v in p.items() if v is not None)
        body = self.tidy()[["variable", "label", "dtype", "n_value_labels", "missing_recoded"]]
        return head + "\n\n" + body.to_string(index=False)

    def _repr_html_(self) -> str:
        p = self.provenance()
        items = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>"
            f"{html.escape(str(v))}</td></tr>"
            for k, v in p.items()
            if v is not None
        )
        table = self.tidy().to_html(index=False, na_rep="", escape=True, border=0)
        warn = (
            "<p><strong>Synthetic data</strong>: made by data/make_data.py for demonstration; "
            "not real survey results.</p>"
            if self.synthetic
            else ""
        )
        return f"<div class='disparity-codebook'>{warn}<table>{items}</table>{table}</div>"


_FILE_FIELDS = ("path", "sha256", "format", "version", "encoding", "encoding_reason", "n_rows",
                "data_label", "synthetic")


class StoredCodebook(dict):
    """What ``DataFrame.attrs["codebook"]`` holds: the codebook as plain data, so that pandas can
    write a frame's attrs to Parquet (it stores them as JSON), and at the same time the
    :class:`Codebook` itself - attributes, methods and ``book["variable"]`` are the codebook's.

    Read back from Parquet, the attrs hold the plain dict; :func:`codebook` and
    :func:`as_codebook` accept both.
    """

    __slots__ = ("book",)

    def __init__(self, book: Codebook) -> None:
        super().__init__(book.to_dict())
        self.book = book

    def __getattr__(self, name: str) -> Any:
        return getattr(self.book, name)

    def __getitem__(self, name: str) -> Any:
        return self.book[name]

    # pandas deep-copies DataFrame.attrs on many operations; the codebook is immutable.
    def __deepcopy__(self, memo: dict) -> StoredCodebook:
        return self

    def __copy__(self) -> StoredCodebook:
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # pickles as plain data (mappingproxy does not)
        return (_restore, (dict(self),))

    def __repr__(self) -> str:
        return str(self.book)

    def _repr_html_(self) -> str:
        return self.book._repr_html_()


def _restore(data: dict[str, Any]) -> StoredCodebook:
    return StoredCodebook(Codebook.from_dict(data))


def stored(book: Codebook) -> StoredCodebook:
    """The form in which a codebook goes into ``DataFrame.attrs`` (see :class:`StoredCodebook`)."""
    return StoredCodebook(book)


def as_codebook(obj: Any) -> Codebook | None:
    """A :class:`Codebook` from what ``attrs["codebook"]`` may hold (None if nothing usable)."""
    if isinstance(obj, Codebook):
        return obj
    if isinstance(obj, StoredCodebook):
        return obj.book
    if isinstance(obj, dict) and obj.get("disparity_codebook") == 1:
        return Codebook.from_dict(obj)
    return None


def codebook(df: pd.DataFrame) -> Codebook:
    """The codebook of a frame: the loader's one from ``df.attrs``, else one built from the frame.

    Variables added or removed since loading are reconciled: the returned codebook lists the frame's
    current columns, keeping the loader's information where the name matches.

    Examples
    --------
    >>> df = dp.read_survey(dp.datasets.path("chifeng_survey_v117_gbk.dta"), missing="cfps")
    >>> cb = dp.codebook(df[["id", "income"]])
    >>> len(cb.variables), cb.n_rows
    (2, 3000)
    >>> cb["income"].label, cb["income"].missing_recoded
    ('家庭人均年收入（元）', 53)
    """
    cb = as_codebook(df.attrs.get("codebook"))
    known = {v.name: v for v in cb.variables} if cb is not None else {}
    variables = []
    for col in df.columns:
        s = df[col]
        info = known.get(str(col))
        if info is None:
            vl = {}
            if isinstance(s.dtype, pd.CategoricalDtype):
                vl = {i: str(c) for i, c in enumerate(s.cat.categories)}
            info = VariableInfo(name=str(col), dtype=str(s.dtype), value_labels=MappingProxyType(vl))
        elif info.dtype != str(s.dtype):
            info = VariableInfo(**{**info.__dict__, "dtype": str(s.dtype)})
        variables.append(info)
    if cb is not None:
        return Codebook(
            variables=tuple(variables),
            **{k: getattr(cb, k) for k in ("path", "sha256", "format", "version", "encoding",
                                           "encoding_reason", "data_label", "synthetic")},
            n_rows=len(df),
        )
    return Codebook(variables=tuple(variables), n_rows=len(df), synthetic=bool(df.attrs.get("synthetic", False)))
