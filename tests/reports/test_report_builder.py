"""Report.save: the folder's contents, byte-identical rebuilds, the manifest, atomic writes."""

import json
import re
from pathlib import Path

import pytest
from docx import Document

import disparity as dp
from disparity.reports import Report, coef_plot, regression_table, summary_table


def _build(survey, models, out: Path) -> Path:
    rep = Report("赤峰调查报告", lang="zh", inputs=[dp.datasets.path("chifeng_survey.dta")], seeds={"bootstrap": 7})
    rep.add_section("描述统计").add_text("数据为合成数据。")
    rep.add_table(summary_table(survey, ["age", "benefit_gap"], stats=("n", "mean", "sd")), caption="描述性统计")
    rep.add_section("回归")
    rep.add_table(regression_table([models["m1"]], labels={"county": "县"}), caption="基准回归")
    rep.add_figure(coef_plot(models["m1"], labels={"dev": "经济发展"}), caption="系数图")
    return rep.save(out)


@pytest.fixture(scope="module")
def built(survey, models, tmp_path_factory):
    base = tmp_path_factory.mktemp("rep")
    a = _build(survey, models, base / "a")
    b = _build(survey, models, base / "b")
    return a, b


def test_folder_layout(built):
    a, _ = built
    files = sorted(str(p.relative_to(a)) for p in a.rglob("*") if p.is_file())
    assert files == ["figures/figure1.png", "figures/figure1.svg", "index.html", "manifest.json", "report.docx",
                     "tables/table1.md", "tables/table1.tex", "tables/table1.xlsx",
                     "tables/table2.md", "tables/table2.tex", "tables/table2.xlsx"]
    assert not list(a.parent.glob(".*building"))


def test_rebuild_is_byte_identical_except_manifest_time(built):
    a, b = built
    for p in a.rglob("*"):
        if p.is_file() and p.name != "manifest.json":
            assert p.read_bytes() == (b / p.relative_to(a)).read_bytes(), p
    ma, mb = (json.loads((x / "manifest.json").read_text()) for x in (a, b))
    ma.pop("created"), mb.pop("created")
    assert ma == mb


def test_manifest_records_provenance(built):
    a, _ = built
    m = json.loads((a / "manifest.json").read_text(encoding="utf-8"))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", m["created"])
    import hashlib

    src = dp.datasets.path("chifeng_survey.dta")
    assert m["inputs"] == [{"path": str(src), "sha256": hashlib.sha256(src.read_bytes()).hexdigest(),
                            "bytes": src.stat().st_size}]
    assert m["packages"]["numpy"] and m["packages"]["matplotlib"] and "pylopdf-fonts-zh-cn" in m["packages"]
    assert m["python"].count(".") == 2 and m["platform"]
    assert set(m["git"]) == {"commit", "dirty"}
    assert m["seeds"] == {"bootstrap": 7}
    assert m["outputs"] == {"tables/table1": "表1 描述性统计", "tables/table2": "表2 基准回归", "figures/figure1": "图1 系数图"}


def test_html_is_self_contained_and_docx_is_numbered(built):
    a, _ = built
    html = (a / "index.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "<img src=\"figures/" not in html
    assert html.index("表1 描述性统计") < html.index("表2 基准回归") < html.index("图1 系数图")
    doc = Document(a / "report.docx")
    texts = [p.text for p in doc.paragraphs]
    assert texts.index("表1 描述性统计") < texts.index("表2 基准回归") < texts.index("图1 系数图")
    assert len(doc.tables) == 2 and len(doc.inline_shapes) == 1
    md = (a / "tables" / "table2.md").read_text(encoding="utf-8")
    assert md.startswith("**表2 基准回归**")


class _Exploding:
    def savefig(self, *a, **k):
        raise RuntimeError("disk full")


def test_failed_build_leaves_previous_report_untouched(built, tmp_path):
    a, _ = built
    target = tmp_path / "rep"
    target.mkdir()
    (target / "index.html").write_text("old", encoding="utf-8")
    rep = Report("x").add_table(dp.reports.Table(header=((dp.reports.HeaderCell("a"),),), body=(("1",),)))
    rep.add_figure(_Exploding())
    with pytest.raises(RuntimeError, match="disk full"):
        rep.save(target)
    assert (target / "index.html").read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]


def test_bad_additions():
    rep = Report("x")
    with pytest.raises(dp.errors.SpecificationError, match="matplotlib Figure"):
        rep.add_figure("fig.png")
    with pytest.raises(dp.errors.SpecificationError, match="disparity Table or a DataFrame"):
        rep.add_table([1, 2])
    with pytest.raises(dp.errors.SpecificationError, match="does not exist"):
        dp.reports.build_manifest(inputs=["/nonexistent/file.csv"])


def test_manifest_time_from_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1556668800")  # 2019-05-01 00:00:00 UTC
    assert dp.reports.build_manifest()["created"] == "2019-05-01T00:00:00Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "not a number")  # ignored: the current time
    assert dp.reports.build_manifest()["created"].startswith("20")
    assert dp.reports.build_manifest()["created"] != "2019-05-01T00:00:00Z"
