"""Issue 21 item 6: what the demo reports print — Chinese labels and consistent decimals in every
table of a Chinese report, sources that resolve, a lang attribute on every HTML page, cut points
in their own block."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import disparity as dp
from disparity.reports import regression_table
from disparity.reports.pipeline import load_analysis, run_analysis
from disparity.reports.tables import frame_table

ROOT = Path(__file__).resolve().parents[2]
#: identifiers results carry that must not reach a Chinese table
INTERNAL = ["mean_a", "mean_b", "overall", "threefold", "twofold", "endowments", "indirect", "direct",
            "proportion", "min_government_subsidy", "later_vs_always", "entropy", "divergence",
            "std_error", "conf_low", "p_value", "event_time", "pooling_level"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("reports")
    return {n: run_analysis(load_analysis(ROOT / "analyses" / n / "report.toml"), output=base / n)
            for n in ("chifeng", "gansu", "national")}


@pytest.mark.parametrize("name", ["chifeng", "gansu", "national"])
def test_chinese_reports_print_no_internal_names_and_even_decimals(built, name):
    for md in sorted((built[name] / "tables").glob("*.md")):
        text = md.read_text(encoding="utf-8")
        for word in INTERNAL:
            assert not re.search(rf"(?<![\w]){word}(?![\w])", text), (md.name, word)
        cells = "\n".join(r for r in text.splitlines() if r.startswith("|"))
        assert not re.search(r"\b[a-z_]{2,}=", cells), md.name  # no "scheme=新农合" group components
        rows = [r.split("|")[1:-1] for r in text.splitlines() if r.startswith("| ") and "---" not in r]
        head, body = rows[0], rows[1:]
        for j, col in enumerate(head):
            cells = [r[j].strip() for r in body if j < len(r) and re.fullmatch(r"-?\d+\.\d+", r[j].strip())]
            if col.strip() in ("p值", "p-value"):
                assert all(c == "<0.001" or re.fullmatch(r"\d\.\d{3}", c) for c in (r[j].strip() for r in body)
                           if c), (md.name, col)
            decimals = {len(c.split(".")[1]) for c in cells}
            assert len(decimals) <= 1, (md.name, col, decimals)  # one number of decimals per column


def test_every_html_page_has_a_lang(built, tmp_path):
    for out in built.values():
        html = (out / "index.html").read_text(encoding="utf-8")
        assert re.search(r"<html lang=\"zh-CN\"", html)
    from disparity.cli import main

    main(["demo", "--out", str(tmp_path / "demo"), "--skip-analyses"])
    page = (tmp_path / "demo" / "index.html").read_text(encoding="utf-8")
    assert re.search(r"<html lang=['\"]en['\"]", page) and "lang='zh-CN'" in page


def test_national_sources_resolve():
    std = dp.datasets.national_standards()
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert "## National standards" in readme
    for source in std["source"]:
        assert "DOMAIN.md" not in source
        assert "data/README.md (National standards)" in source
    for year in std["year"].unique():
        assert re.search(rf"^\| {year} \|", readme, re.M), year  # every year has its document listed


def test_frame_tables_translate_and_format():
    f = pd.DataFrame({"part": ["overall", "twofold"], "term": ["gap", "unexplained"],
                      "estimate": [741.3204, -12.5], "p_value": [0.0000004, 0.31234], "nobs": [464, 464]})
    t = frame_table(f, lang="zh")
    assert [c.text for c in t.header[0]] == ["部分", "项目", "估计值", "p值", "观测值"]
    assert t.body == (("总体", "差距", "741.320", "<0.001", "464"), ("二重分解", "不可解释部分", "-12.500", "0.312", "464"))
    en = frame_table(f, lang="en")
    assert en.body[0][:2] == ("overall", "gap") and en.body[0][3] == "<0.001"
    whole = frame_table(pd.DataFrame({"x": [2.0, 3.0]}))
    assert whole.body == (("2",), ("3",))


def test_ordered_cut_points_in_their_own_block_without_stars():
    df = dp.datasets.chifeng_survey()
    sat = df[df.satisfaction != "不知道"].assign(satisfaction=lambda d: d.satisfaction.cat.remove_unused_categories())
    m = dp.ordered("satisfaction ~ income + age", data=sat)
    t = regression_table(m, stats=("nobs",))
    labels = [r[0] for r in t.body]
    first_cut = next(i for i, x in enumerate(labels) if x.startswith("切点"))
    assert first_cut in t.blocks
    assert labels[first_cut] == "切点 很不满意|不满意"
    assert all(not x.startswith("切点") for x in labels[:first_cut])
    cut_cells = [r[1] for r in t.body[first_cut:] if r[0].startswith("切点")]
    assert len(cut_cells) == 4 and not any("*" in c for c in cut_cells)
    assert t.body[labels.index("income")][1].endswith("***")  # coefficients keep their stars
