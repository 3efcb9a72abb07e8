"""Command-line interface: ``disparity demo``, ``disparity codebook FILE``, ``disparity report SPEC.toml``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import __version__
from .errors import DisparityError


def _progress(msg: str) -> None:
    print(f"[disparity] {msg}", flush=True)


def cmd_codebook(args: argparse.Namespace) -> int:
    from .io import read_survey

    missing = args.missing
    df = read_survey(args.file, encoding=args.encoding, missing=missing)
    book = df.attrs["codebook"]
    if args.html:
        page = ("<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>codebook</title></head>"
                f"<body>{book._repr_html_()}</body></html>\n")
        Path(args.html).write_text(page, encoding="utf-8")
        _progress(f"wrote {args.html}")
    else:
        print(book)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the loaders on the bundled data and write a codebook report into reports/demo/."""
    from . import datasets
    from .io import read_yearbook

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    _progress("bundled data are SYNTHETIC (data/make_data.py); see data/README.md")
    survey = datasets.chifeng_survey()
    book = survey.attrs["codebook"]
    _progress(f"Chifeng survey: {len(survey):,} respondents, {survey['county'].nunique()} county-level units, "
              f"encoding {book.encoding}")
    legacy = datasets.chifeng_survey("dta117")
    _progress(f"legacy Stata 117 copy decoded as {legacy.attrs['codebook'].encoding} "
              f"({legacy.attrs['codebook'].encoding_reason})")
    recoded = {v.name: sum(n for why, n in v.missing_reasons.items() if why != ".") for v in book.variables}
    _progress(f"missing codes recoded (CFPS preset): { {k: n for k, n in recoded.items() if n} }")
    panel = datasets.province_panel()
    _progress(f"province panel: {panel['region_code'].nunique()} provinces x "
              f"{panel['year'].nunique()} years; integration years "
              f"{int(panel['integration_year'].min())}-{int(panel['integration_year'].max())}")
    yb = read_yearbook(datasets.path("province_panel_yearbook.xlsx"), sheet="表1")
    _progress(f"yearbook layout table: {len(yb)} tidy rows, unit {yb['unit'].iloc[0]} "
              f"(from {yb['unit_original'].iloc[0]})")
    std = datasets.national_standards()
    _progress(f"national standards (real, sourced): {len(std)} rows, {int(std['year'].min())}-{int(std['year'].max())}")

    html = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>disparity demo: bundled data</title></head><body>",
        "<h1>disparity: bundled data codebook</h1>",
        f"<p><strong>{datasets.SYNTHETIC_NOTE}</strong><br><span lang='zh-CN'>{datasets.SYNTHETIC_NOTE_ZH}</span></p>",
        "<h2>Chifeng household survey (synthetic)</h2>",
        book._repr_html_(),
        "<h2>Province panel (synthetic): summary</h2>",
        panel.describe().T.round(3).to_html(),
        "<h2>National standards (real; source on every row)</h2>",
        std.to_html(index=False),
    ]
    import warnings

    from .scale.demo import claims_section

    with warnings.catch_warnings():
        # Ibis 12 on DuckDB 2.0 / pandas 3 emits deprecation notices of its own; they say nothing
        # about the demo's results
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        html.append(claims_section(out / "claims", progress=_progress))  # a "skipped" note without the extra
    html.append("</body></html>")
    (out / "index.html").write_text("\n".join(html), encoding="utf-8")
    book.tidy().to_csv(out / "codebook_chifeng.csv", index=False, lineterminator="\n")
    _progress(f"wrote {out / 'index.html'} and {out / 'codebook_chifeng.csv'} in {time.perf_counter() - t0:.1f} s")
    if not args.skip_analyses:
        _build_analyses(Path(args.analyses), progress=_progress)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Build a report folder from a declarative TOML spec.

    A spec with ``[[steps]]`` is an analysis spec (:mod:`disparity.reports.pipeline`); otherwise it
    is a model-and-tables spec (:mod:`disparity.reports.spec`).
    """
    import tomllib

    t0 = time.perf_counter()
    try:
        raw = tomllib.loads(Path(args.spec).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        raw = {}
    if "steps" in raw:
        from .reports.pipeline import load_analysis, run_analysis

        out = run_analysis(load_analysis(args.spec), output=args.out, progress=_progress)
    else:
        from .reports.spec import build_report, load_spec

        out = build_report(load_spec(args.spec), progress=_progress, output=args.out)
    _progress(f"wrote {out} in {time.perf_counter() - t0:.1f} s")
    return 0


def _build_analyses(root: Path, *, progress) -> None:
    """Build every analysis spec under ``root`` (``analyses/*/report.toml``) into reports/."""
    from .reports.pipeline import load_analysis, run_analysis

    specs = sorted(root.glob("*/report.toml"))
    if not specs:
        progress(f"no analyses found under {root} (run from a source checkout to build them)")
        return
    total = time.perf_counter()
    for spec_path in specs:
        t0 = time.perf_counter()
        name = spec_path.parent.name
        progress(f"analysis {name}: building from {spec_path}")
        try:
            out = run_analysis(load_analysis(spec_path), progress=lambda m, n=name: progress(f"  {n}: {m}"))
        except Exception as err:  # the demo goes on with the other analyses, and says what failed
            progress(f"analysis {name} FAILED: {type(err).__name__}: {err}")
            continue
        progress(f"analysis {name}: wrote {out} in {time.perf_counter() - t0:.1f} s")
    progress(f"built {len(specs)} analyses in {time.perf_counter() - total:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="disparity", description="Urban-rural benefit disparities toolkit")
    parser.add_argument("--version", action="version", version=f"disparity {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("codebook", help="print the codebook of a survey file")
    p.add_argument("file")
    p.add_argument("--encoding", default=None)
    p.add_argument("--missing", default=None, help="missing-value preset: cfps or charls")
    p.add_argument("--html", default=None, help="write the codebook as HTML to this path")
    p.set_defaults(func=cmd_codebook)
    p = sub.add_parser("demo", help="run the main job on the bundled data and write reports/")
    p.add_argument("--out", default="reports/demo")
    p.add_argument("--analyses", default="analyses", help="folder of analysis specs (*/report.toml)")
    p.add_argument("--skip-analyses", action="store_true", help="only the codebook summary")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("report", help="build a report folder from a TOML spec")
    p.add_argument("spec", help="path to SPEC.toml")
    p.add_argument("--out", default=None, help="output folder (default: the spec's output)")
    p.set_defaults(func=cmd_report)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except DisparityError as err:
        print(f"disparity: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
