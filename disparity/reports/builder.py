"""``Report``: collect sections, text, tables and figures; save them as one reproducible folder.

``report.save("reports/name")`` writes::

    index.html       self-contained (figures embedded as PNG data URIs)
    report.docx      numbered three-line tables (表1 ...) and figures with captions (图1 ...)
    tables/          table<k>.tex, table<k>.md, table<k>.xlsx
    figures/         figure<k>.png, figure<k>.svg
    manifest.json    provenance: input file hashes, versions, platform, git commit, seeds, spec

Everything except the manifest's ``created`` field is byte-identical when the same inputs are built
again. The folder is built in a temporary directory beside the target and renamed into place, so a
failed build never leaves a half-written report.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from .._options import check_option
from ..errors import SpecificationError
from ._files import (
    BUILD_MARKER,
    MANIFEST,
    clean_stale_builds,
    new_build_dir,
    publish_build,
    sha256_file,
)
from .figures import figure_bytes
from .tables import LANGS, Lang, Table

__all__ = ["Report", "build_manifest", "MANIFEST_PACKAGES"]

#: Packages whose versions the manifest records (when installed).
MANIFEST_PACKAGES: tuple[str, ...] = (
    "disparity", "numpy", "scipy", "pandas", "statsmodels", "linearmodels", "formulaic", "matplotlib",
    "python-docx", "openpyxl", "pylopdf-fonts-zh-cn", "pyfixest",
)


@dataclass(frozen=True)
class _Item:
    kind: str  # section, text, table, figure
    payload: Any
    caption: str | None = None


def _git_commit(where: Path) -> dict[str, Any]:
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True,
                              timeout=10, check=False)
        if head.returncode != 0:
            return {"commit": None, "dirty": None}
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=where,
                               capture_output=True, text=True, timeout=10, check=False)
        return {"commit": head.stdout.strip(), "dirty": bool(dirty.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def build_manifest(
    *,
    inputs: Sequence[str | Path] = (),
    seeds: Mapping[str, Any] | None = None,
    spec: Any = None,
    outputs: Mapping[str, str] | None = None,
    workdir: str | Path | None = None,
) -> dict[str, Any]:
    """Provenance of a report: what went in, with which software, where.

    Examples
    --------
    >>> m = build_manifest(seeds={"bootstrap": 1})
    >>> sorted(m)
    ['created', 'git', 'inputs', 'outputs', 'packages', 'platform', 'python', 'seeds', 'spec']
    >>> m["seeds"], m["inputs"]
    ({'bootstrap': 1}, [])
    """
    files = []
    for p in inputs:
        path = Path(p)
        if not path.is_file():
            raise SpecificationError(f"Input file {str(path)!r} does not exist; cannot record its hash.")
        files.append({"path": str(path), "sha256": sha256_file(path), "bytes": path.stat().st_size})
    versions = {}
    for name in MANIFEST_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    # SOURCE_DATE_EPOCH (the reproducible-builds convention) fixes the time, so that a rebuild
    # of the same inputs gives a byte-identical manifest too
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    created = (_dt.datetime.fromtimestamp(int(epoch), _dt.UTC) if epoch.isdigit()
               else _dt.datetime.now(_dt.UTC))
    return {
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "inputs": files,
        "packages": versions,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "git": _git_commit(Path(workdir or os.getcwd())),
        "seeds": dict(seeds or {}),
        "spec": spec,
        "outputs": dict(outputs or {}),
    }


class Report:
    """A report assembled piece by piece and saved to a folder (see the module docstring).

    Parameters
    ----------
    title : str
    lang : {"zh", "en"}
        Caption words (表/图 or Table/Figure) and section numbering.
    inputs : sequence of paths
        Data files the analysis read; their SHA-256 goes into the manifest (``add_input`` adds more).
    seeds : mapping
        Random seeds used (bootstrap, simulation), recorded in the manifest.
    spec : any JSON-serialisable object
        The declarative spec the report was built from, if any.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> rep = Report("示例", lang="zh", seeds={"bootstrap": 1})
    >>> rep.add_section("描述统计").add_table(dp.summary_table(df, ["oop", "income"]))
    <Report '示例': 1 tables, 0 figures>
    >>> out = rep.save("demo")
    >>> sorted(p.name for p in out.iterdir())
    ['figures', 'index.html', 'manifest.json', 'report.docx', 'tables']
    """

    def __init__(self, title: str, *, lang: Lang = "zh", inputs: Sequence[str | Path] = (),
                 seeds: Mapping[str, Any] | None = None, spec: Any = None) -> None:
        check_option("lang", lang, LANGS)
        self.title = title
        self.lang = lang
        self._items: list[_Item] = []
        self._inputs: list[Path] = [Path(p) for p in inputs]
        self.seeds: dict[str, Any] = dict(seeds or {})
        self.spec = spec

    # ------------------------------------------------------------------ building
    def add_section(self, title: str) -> Report:
        self._items.append(_Item("section", str(title)))
        return self

    def add_text(self, text: str) -> Report:
        self._items.append(_Item("text", str(text)))
        return self

    def add_table(self, table: Any, caption: str | None = None) -> Report:
        """Add a Table; a model result (regression table), a measure result (measure table) or a
        DataFrame (shown as is) is turned into one. ``caption`` replaces the table's title."""
        if not isinstance(table, (Table, pd.DataFrame)):
            table = self._as_table(table)
        if isinstance(table, pd.DataFrame):
            from .tables import frame_table

            table = frame_table(table, lang=self.lang)
        if not isinstance(table, Table):
            raise SpecificationError(
                f"add_table() takes a disparity Table or a DataFrame, got {type(table).__name__}; "
                "build one with dp.regression_table / dp.summary_table / dp.measure_table."
            )
        if caption is not None:
            table = table.replace(title=caption)
        self._items.append(_Item("table", table))
        return self

    def _as_table(self, obj: Any) -> Any:
        from ._adapters import extract
        from .measure_table import measure_table
        from .regression import regression_table

        try:
            extract(obj)
        except SpecificationError:
            pass
        else:
            return regression_table(obj, lang=self.lang)
        if hasattr(obj, "tidy") and hasattr(obj, "measure"):
            return measure_table(obj, lang=self.lang)
        return obj

    def add_figure(self, fig: Any, caption: str | None = None) -> Report:
        """Add a matplotlib Figure."""
        if not hasattr(fig, "savefig"):
            raise SpecificationError(f"add_figure() takes a matplotlib Figure, got {type(fig).__name__}.")
        self._items.append(_Item("figure", fig, caption))
        return self

    def add_input(self, path: str | Path) -> Report:
        self._inputs.append(Path(path))
        return self

    @property
    def tables(self) -> list[Table]:
        return [it.payload for it in self._items if it.kind == "table"]

    @property
    def figures(self) -> list[Any]:
        return [it.payload for it in self._items if it.kind == "figure"]

    def _figure_caption(self, k: int, caption: str | None) -> str:
        if self.lang == "zh":
            return f"图{k} {caption or ''}".rstrip()
        return f"Figure {k}: {caption}" if caption else f"Figure {k}"

    # ------------------------------------------------------------------ rendering
    def _render_all(self, out: Path, progress: Any = None) -> dict[str, str]:
        from .render_docx import (
            append_figure,
            append_table,
            new_document,
            save_document,
            set_run_fonts,
        )

        (out / "tables").mkdir(parents=True)
        (out / "figures").mkdir(parents=True)
        doc = new_document(self.lang)
        doc.add_heading(self.title, level=0)
        parts = [
            "<!doctype html>",
            f'<html lang="{"zh-CN" if self.lang == "zh" else "en"}"><head><meta charset="utf-8">',
            f"<title>{html.escape(self.title)}</title>",
            "<style>body{max-width:60em;margin:2em auto;font-family:'Times New Roman','SimSun',serif}"
            "figure{text-align:center}img{max-width:100%}table.dp-table{margin:1em auto}</style>",
            f"</head><body><h1>{html.escape(self.title)}</h1>",
        ]
        n_tab = n_fig = 0
        written: dict[str, str] = {}
        for item in self._items:
            if item.kind == "section":
                parts.append(f"<h2>{html.escape(item.payload)}</h2>")
                doc.add_heading(item.payload, level=1)
            elif item.kind == "text":
                parts.append(f"<p>{html.escape(item.payload)}</p>")
                p = doc.add_paragraph()
                set_run_fonts(p.add_run(item.payload))
            elif item.kind == "table":
                n_tab += 1
                table: Table = item.payload
                if progress:
                    progress(f"table {n_tab}: {table.title}")
                parts.append(table.to_html(number=n_tab))
                append_table(doc, table, number=n_tab)
                stem = out / "tables" / f"table{n_tab}"
                stem.with_suffix(".tex").write_text(table.to_latex(number=n_tab), encoding="utf-8")
                stem.with_suffix(".md").write_text(table.to_markdown(number=n_tab), encoding="utf-8")
                table.to_xlsx(stem.with_suffix(".xlsx"), number=n_tab)
                written[f"tables/table{n_tab}"] = table.caption(n_tab)
            else:
                n_fig += 1
                if progress:
                    progress(f"figure {n_fig}: {item.caption or ''}")
                png = figure_bytes(item.payload, "png")
                svg = figure_bytes(item.payload, "svg")
                (out / "figures" / f"figure{n_fig}.png").write_bytes(png)
                (out / "figures" / f"figure{n_fig}.svg").write_bytes(svg)
                caption = self._figure_caption(n_fig, item.caption)
                data = base64.b64encode(png).decode("ascii")
                parts.append(f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
                             f"<figcaption>{html.escape(caption)}</figcaption></figure>")
                append_figure(doc, png, caption)
                written[f"figures/figure{n_fig}"] = caption
        parts.append("</body></html>")
        (out / "index.html").write_text("\n".join(parts) + "\n", encoding="utf-8")
        save_document(doc, out / "report.docx")
        return written

    def save(self, path: str | Path, *, progress: Any = None, workdir: str | Path | None = None) -> Path:
        """Build the report folder at ``path`` atomically; returns the path.

        The folder is built beside ``path`` and renamed into place once complete (its files
        fsynced first), so a failed or killed build never leaves a half-written report; folders
        left by a killed build are removed by the next build. ``path`` may be new, an empty
        folder, or an earlier report made by disparity (a folder with its ``manifest.json`` and
        only the files that manifest lists), which is replaced. Anything else, an existing file
        or a folder of other files, is never replaced: :class:`~disparity.errors.OutputExistsError`
        names it.
        """
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        clean_stale_builds(target.parent, target.name)
        tmp = new_build_dir(target)
        try:
            written = self._render_all(tmp, progress)
            manifest = build_manifest(inputs=self._inputs, seeds=self.seeds, spec=self.spec,
                                      outputs=written, workdir=workdir)
            manifest["title"] = self.title
            manifest["files"] = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*")
                                       if p.is_file() and p.name != BUILD_MARKER) + [MANIFEST]
            (tmp / MANIFEST).write_text(
                json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n",
                encoding="utf-8")
            publish_build(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return target

    def _repr_html_(self) -> str:
        parts = [f"<h3>{html.escape(self.title)}</h3>"]
        n_tab = 0
        for it in self._items:
            if it.kind == "section":
                parts.append(f"<h4>{html.escape(it.payload)}</h4>")
            elif it.kind == "text":
                parts.append(f"<p>{html.escape(it.payload)}</p>")
            elif it.kind == "table":
                n_tab += 1
                parts.append(it.payload.to_html(number=n_tab))
            else:
                parts.append(f"<p>[{html.escape(it.caption or 'figure')}]</p>")
        return "".join(parts)

    def __repr__(self) -> str:
        return f"<Report {self.title!r}: {len(self.tables)} tables, {len(self.figures)} figures>"
