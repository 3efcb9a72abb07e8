"""Command-line interface: ``disparity demo``, ``disparity codebook FILE``, ``disparity report SPEC.toml``,
``disparity export SPEC.toml DEST``.

Every command is a ``cmd_<name>(args) -> int`` function registered in :func:`build_parser`.
:func:`main` turns any exception into one line ``disparity: error: ...`` on stderr and exit status 2
(``--traceback`` prints the traceback too); a raw traceback is never shown unasked.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
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
        from .reports._files import atomic_write_bytes

        page = ("<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>codebook</title></head>"
                f"<body>{book._repr_html_()}</body></html>\n")
        atomic_write_bytes(Path(args.html), page.encode("utf-8"), overwrite=args.overwrite)
        _progress(f"wrote {args.html}")
    else:
        print(book)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the loaders on the bundled data and write a codebook report into reports/demo/."""
    from . import datasets
    from .io import read_yearbook

    out = Path(args.out)
    _check_demo_target(out)
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
        _build_analyses(Path(args.analyses), progress=_progress, cache=_cache_arg(args))
    return 0


_DEMO_TITLE = "<title>disparity demo: bundled data</title>"
_DEMO_CSV_HEADER = "variable,label,dtype,"


def _check_demo_target(out: Path) -> None:
    """The demo rewrites its own index.html and codebook CSV only, never a file of the same name of yours."""
    from .errors import OutputExistsError

    for name, mark in (("index.html", _DEMO_TITLE), ("codebook_chifeng.csv", _DEMO_CSV_HEADER)):
        p = out / name
        if not p.exists():
            continue
        try:
            head = p.read_text(encoding="utf-8", errors="replace")[:400]
        except OSError:
            head = ""
        if p.is_symlink() or not p.is_file() or mark not in head:
            raise OutputExistsError(
                f"{str(p)!r} exists and was not written by 'disparity demo'; it is not replaced. Choose "
                "another --out folder."
            )


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

        out = run_analysis(load_analysis(args.spec), output=args.out, progress=_progress, cache=_cache_arg(args))
    else:
        from .reports.spec import build_report, load_spec

        out = build_report(load_spec(args.spec), progress=_progress, output=args.out)
    _progress(f"wrote {out} in {time.perf_counter() - t0:.1f} s")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write a replication package of a report spec (see :mod:`disparity.reports.export`)."""
    from .reports.export import export_package

    export_package(args.spec, args.dest, data=not args.no_data, progress=_progress)
    return 0


def _cache_arg(args: argparse.Namespace) -> bool | Path:
    """``--no-cache`` / ``--cache-dir`` as the ``cache=`` of run_analysis."""
    if getattr(args, "no_cache", False):
        return False
    cache_dir = getattr(args, "cache_dir", None)
    return Path(cache_dir) if cache_dir else True


def _build_analyses(root: Path, *, progress, cache: bool | Path = True) -> None:
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

        def step(message: str, n: str = name) -> None:
            progress(f"  {n}: {message}")

        try:
            out = run_analysis(load_analysis(spec_path), progress=step, cache=cache)
        except Exception as err:  # the demo goes on with the other analyses, and says what failed
            progress(f"analysis {name} FAILED: {type(err).__name__}: {err}")
            continue
        progress(f"analysis {name}: wrote {out} in {time.perf_counter() - t0:.1f} s")
    progress(f"built {len(specs)} analyses in {time.perf_counter() - total:.1f} s")


#: Exit status of every failure (as argparse uses for usage errors).
EXIT_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    """The ``disparity`` argument parser: one sub-parser per command."""
    parser = argparse.ArgumentParser(prog="disparity", description="Urban-rural benefit disparities toolkit")
    parser.add_argument("--version", action="version", version=f"disparity {__version__}")
    parser.add_argument("--traceback", action="store_true", help="on an error, also print the Python traceback")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--traceback", action="store_true", default=argparse.SUPPRESS,
                        help="on an error, also print the Python traceback")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("codebook", help="print the codebook of a survey file", parents=[common])
    p.add_argument("file")
    p.add_argument("--encoding", default=None)
    p.add_argument("--missing", default=None, help="missing-value preset: cfps or charls")
    p.add_argument("--html", default=None, help="write the codebook as HTML to this path (a new file)")
    p.add_argument("--overwrite", action="store_true", help="allow --html to replace an existing file")
    p.set_defaults(func=cmd_codebook)
    p = sub.add_parser("demo", help="run the main job on the bundled data and write reports/", parents=[common])
    p.add_argument("--out", default="reports/demo")
    p.add_argument("--analyses", default="analyses", help="folder of analysis specs (*/report.toml)")
    p.add_argument("--skip-analyses", action="store_true", help="only the codebook summary")
    _cache_options(p)
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("report", help="build a report folder from a TOML spec", parents=[common])
    p.add_argument("spec", help="path to SPEC.toml")
    p.add_argument("--out", default=None, help="output folder (default: the spec's output); replaces only an "
                   "earlier disparity report")
    _cache_options(p)
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("export", help="write a replication package (spec, data, versions, rebuild script)",
                       parents=[common])
    p.add_argument("spec", help="path to SPEC.toml")
    p.add_argument("dest", help="package folder: new, empty, or an earlier package; nothing else is replaced")
    p.add_argument("--no-data", action="store_true",
                   help="leave the data out: only their SHA-256 and how to obtain them")
    p.set_defaults(func=cmd_export)
    return parser


def _cache_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-cache", action="store_true",
                   help="compute every step again (ignore and do not update the build cache)")
    p.add_argument("--cache-dir", default=None,
                   help="build-cache folder (default: $DISPARITY_CACHE_DIR or the user's cache folder); "
                        "safe to delete; never inside the report folder")


def _report_error(err: BaseException, *, show_traceback: bool) -> None:
    if show_traceback:
        traceback.print_exception(err, file=sys.stderr)
    if isinstance(err, DisparityError):
        message = str(err)
    else:  # not raised on purpose: say what it was, and how to see more
        message = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
        if not show_traceback:
            message += " (unexpected; run again with --traceback for details, and please report it)"
    print(f"disparity: error: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 on success, 2 on any error)."""
    args = build_parser().parse_args(argv)
    show = bool(getattr(args, "traceback", False))
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("disparity: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - the CLI never shows a raw traceback unasked
        _report_error(err, show_traceback=show)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
