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
        Path(args.html).write_text(book._repr_html_(), encoding="utf-8")
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
    recoded = {v.name: v.missing_recoded for v in book.variables if v.missing_recoded}
    _progress(f"missing values recoded (CFPS codes): {recoded}")
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
        "<!doctype html><html><head><meta charset='utf-8'><title>disparity demo: bundled data</title></head><body>",
        "<h1>disparity: bundled data codebook</h1>",
        f"<p><strong>{datasets.SYNTHETIC_NOTE}</strong><br>{datasets.SYNTHETIC_NOTE_ZH}</p>",
        "<h2>Chifeng household survey (synthetic)</h2>",
        book._repr_html_(),
        "<h2>Province panel (synthetic): summary</h2>",
        panel.describe().T.round(3).to_html(),
        "<h2>National standards (real; source on every row)</h2>",
        std.to_html(index=False),
        "</body></html>",
    ]
    (out / "index.html").write_text("\n".join(html), encoding="utf-8")
    book.tidy().to_csv(out / "codebook_chifeng.csv", index=False, lineterminator="\n")
    _progress(f"wrote {out / 'index.html'} and {out / 'codebook_chifeng.csv'} in {time.perf_counter() - t0:.1f} s")
    try:
        _demo_report(out / "report")
        _progress(f"wrote {out / 'report'} (index.html, report.docx, tables/, figures/, manifest.json)")
    except Exception as err:  # the demo must never fail; the report is an extra
        _progress(f"skipped the demo report: {type(err).__name__}: {err}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Build a report folder from a declarative TOML spec (see :mod:`disparity.reports.spec`)."""
    from .reports.spec import build_report, load_spec

    t0 = time.perf_counter()
    spec = load_spec(args.spec)
    out = build_report(spec, progress=_progress, output=args.out)
    _progress(f"wrote {out} in {time.perf_counter() - t0:.1f} s")
    return 0


def _demo_report(out: Path) -> None:
    """A small report from the bundled survey: descriptives, a regression table and a figure."""
    from . import datasets
    from .models import ols
    from .reports import Report, coef_plot, regression_table, summary_table

    df = datasets.chifeng_survey()
    for col in ("urban", "support"):
        df[col] = df[col].cat.codes.astype(float)
    labels = {"dev": "经济发展水平", "benefit_gap": "城乡待遇差距", "urban": "城镇户籍", "support": "支持整合",
              "age": "年龄", "edu_years": "受教育年限", "income": "收入", "county": "县", "0": "农村", "1": "城镇"}
    m1 = ols("support ~ dev + benefit_gap", df, vcov="cluster", cluster="county", few_clusters="analytic")
    m2 = ols("support ~ dev * benefit_gap + urban + age + edu_years", df, vcov="cluster", cluster="county",
             few_clusters="analytic")
    rep = Report("赤峰市居民对城乡医保整合的支持（合成数据演示）", lang="zh",
                 inputs=[datasets.path("chifeng_survey.dta")])
    rep.add_text(datasets.SYNTHETIC_NOTE_ZH)
    rep.add_section("描述统计")
    rep.add_table(summary_table(df, ["age", "edu_years", "income", "benefit_gap"], by="urban", weights="weight",
                                stats=("n", "mean", "sd"), labels=labels, digits=2), caption="主要变量的描述性统计")
    rep.add_section("回归结果")
    rep.add_table(regression_table([m1, m2], labels=labels, indicators={"控制变量": ["urban", "age", "edu_years"]},
                                   stats=["nobs", "r2", "n_clusters"]), caption="城乡待遇差距与整合支持度")
    rep.add_figure(coef_plot([m1, m2], terms=["dev", "benefit_gap", "dev:benefit_gap"], labels=labels),
                   caption="主要系数及95%置信区间")
    rep.save(out)


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
