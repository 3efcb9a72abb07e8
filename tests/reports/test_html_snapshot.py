"""_repr_html_ snapshots. Regenerate deliberately with DISPARITY_UPDATE_SNAPSHOTS=1 and review the diff."""

import os
from pathlib import Path

import disparity as dp
from disparity.reports import HeaderCell, Table, regression_table

SNAP = Path(__file__).parent / "snapshots"


def _check(name: str, html: str) -> None:
    path = SNAP / name
    if os.environ.get("DISPARITY_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(html, encoding="utf-8")
    assert path.is_file(), f"snapshot {name} missing; run with DISPARITY_UPDATE_SNAPSHOTS=1 once"
    assert html == path.read_text(encoding="utf-8")


def test_plain_table_snapshot():
    t = Table(
        header=((HeaderCell(""), HeaderCell("城镇", 2)), (HeaderCell("变量"), HeaderCell("均值"), HeaderCell("标准差"))),
        body=(("年龄 <岁>", "50.913", "19.277"), ("收入 & 支出", "1.000", "2.000")),
        title="描述统计", notes=("按权重加权。",), lang="zh",
    )
    _check("plain_zh.html", t._repr_html_())


def test_regression_table_snapshot(sample):
    m1 = dp.ols("y ~ x1 + x2", sample, vcov="cluster", cluster="county", few_clusters="analytic")
    m2 = dp.ols("y ~ x1", sample, vcov="HC1")
    t = regression_table([m1, m2], labels={"county": "县", "x1": "自变量一"}, title="回归结果", stats=["nobs", "r2"])
    html = t._repr_html_()
    assert html == t.to_html()
    _check("regression_zh.html", html)
    assert "<caption" in html and "括号内为标准误" in html


def test_html_escapes_text():
    t = Table(header=((HeaderCell("<b>"),),), body=(("a & b",),))
    html = t.to_html()
    assert "&lt;b&gt;" in html and "a &amp; b" in html and "<b>" not in html
