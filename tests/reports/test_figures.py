"""Figures: Chinese labels render with the bundled font (no missing-glyph warnings; warnings are
errors in this suite), fonts are embedded, bytes are identical on rebuild."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity.reports import figures as fg
from disparity.reports.fonts import SANS_FAMILY, cjk_font_path, figure_context

ZH = "城乡居民基本医疗保险待遇差距（百分点）−"


@pytest.fixture(scope="module")
def trend_fig():
    panel = dp.datasets.province_panel()
    panel = panel.assign(组别=np.where(panel["integration_year"] <= 2015, "早期整合", "后期整合"))
    return fg.gap_trend_plot(panel, "year", "benefit_gap", group="组别", labels={"benefit_gap": ZH}, title="城乡待遇差距的变化")


def test_font_comes_from_the_install_not_the_system():
    path = cjk_font_path()
    assert path.is_file() and path.name == "NotoSansSC-Regular.otf"
    from matplotlib import font_manager

    with figure_context():
        found = font_manager.findfont(font_manager.FontProperties(family=SANS_FAMILY), fallback_to_default=False)
    assert found == str(path)


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_chinese_labels_render_without_missing_glyphs(trend_fig, fmt):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib reports a missing glyph as a UserWarning
        blob = fg.figure_bytes(trend_fig, fmt)
    assert len(blob) > 5000
    if fmt == "pdf":
        # TrueType/CFF font program embedded (Type 42 path), named after Noto Sans SC
        assert b"NotoSansSC" in blob
        assert re.search(rb"/FontFile[23]?", blob)
        assert b"/Subtype /Type3" not in blob
        # PDF subsetting is the slow step (~2 s), so the PDF rebuild check lives here
        assert fg.figure_bytes(trend_fig, "pdf") == blob
    if fmt == "svg":
        # text drawn as glyph paths: no <text> elements that would need a font on the reader's machine
        assert b"<text" not in blob


def test_rebuilds_are_byte_identical(trend_fig):
    for fmt in ("png", "svg"):
        assert fg.figure_bytes(trend_fig, fmt) == fg.figure_bytes(trend_fig, fmt)
    again = fg.gap_trend_plot(
        dp.datasets.province_panel().assign(组别=lambda d: np.where(d["integration_year"] <= 2015, "早期整合", "后期整合")),
        "year", "benefit_gap", group="组别", labels={"benefit_gap": ZH}, title="城乡待遇差距的变化")
    assert fg.figure_bytes(again, "svg") == fg.figure_bytes(trend_fig, "svg")


def test_figure_texts_and_data(trend_fig, models):
    ax = trend_fig.axes[0]
    assert ax.get_ylabel() == ZH and ax.get_xlabel() == "年份"
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["后期整合", "早期整合"]
    panel = dp.datasets.province_panel()
    early = panel[panel["integration_year"] <= 2015].groupby("year")["benefit_gap"].mean()
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "早期整合")
    assert np.allclose(line.get_ydata(), early.to_numpy())

    coef = fg.coef_plot([models["m1"], models["m2"]], terms=["dev", "benefit_gap"], labels={"dev": "经济发展"})
    ax = coef.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["经济发展", "benefit_gap"]
    en = fg.lorenz_plot(pd.DataFrame({"p": [0, 0.5, 1], "ordinate": [0, 0.2, 1]}), lang="en")
    assert en.axes[0].get_xlabel() == "Cumulative population share"


def test_other_figure_kinds_render(models, survey):
    es = pd.DataFrame({"event_time": [-3, -2, 0, 1, 2], "estimate": [0.1, 0.0, -1.5, -2.2, -3.0]})
    es = es.assign(conf_low=es.estimate - 0.5, conf_high=es.estimate + 0.5)
    me = models["m2"].marginal_effects("benefit_gap", at={"dev": [-0.5, 0.0, 0.5]})
    panel = dp.datasets.province_panel()
    figs = [
        fg.event_study_plot(es, title="事件研究"),
        fg.marginal_effects_plot(me, labels={"dev": "经济发展水平", "benefit_gap": "待遇差距"}),
        fg.radar_chart(pd.DataFrame({"地区": ["赤峰", "全国"], "a": [0.6, 0.5], "b": [0.4, 0.5], "c": [0.7, 0.5]}),
                       label="地区", columns=["a", "b", "c"], labels={"a": "筹资", "b": "待遇", "c": "经办"}),
        fg.region_bar_plot(panel[panel.year == 2023], "region", "benefit_gap", highlight=["内蒙古"]),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for f in figs:
            assert fg.figure_bytes(f, "png")[:8] == b"\x89PNG\r\n\x1a\n"
    ax = figs[1].axes[0]
    assert ax.get_ylabel() == "待遇差距的边际效应"
    assert np.allclose(ax.get_lines()[1].get_ydata(), me.tidy().sort_values("dev")["estimate"])
    bars = figs[3].axes[0]
    assert len(bars.patches) == 31


def test_bad_input():
    with pytest.raises(dp.errors.SpecificationError, match="needs columns"):
        fg.lorenz_plot(pd.DataFrame({"x": [1]}))
    with pytest.raises(dp.errors.SpecificationError, match="at least three"):
        fg.radar_chart(pd.DataFrame({"r": ["a"], "x": [1], "y": [2]}), label="r", columns=["x", "y"])
    with pytest.raises(dp.errors.SpecificationError, match="more than once"):
        fg.region_bar_plot(pd.DataFrame({"r": ["a", "a"], "v": [1, 2]}), "r", "v")
    with pytest.raises(dp.errors.SpecificationError, match="lang='fr'"):
        fg.event_study_plot(pd.DataFrame(), lang="fr")


# ---------------------------------------------------------------- issue 21 item 2 / issue 18 item 4
@pytest.fixture(scope="module")
def cs_result():
    panel = dp.datasets.province_panel()
    return dp.event_study(panel, "benefit_gap", unit="region_code", time="year", cohort="integration_year",
                          control="notyet", reps=49, seed=3)


def test_event_study_plot_takes_the_aggregate_directly(cs_result):
    agg = cs_result.aggregate("dynamic")
    fig = fg.event_study_plot(agg)
    ax = fig.axes[0]
    line = next(ln for ln in ax.get_lines() if ln.get_linestyle() == "-" and len(ln.get_xdata()) == len(agg.table))
    assert np.allclose(line.get_ydata(), agg.table.sort_values("event_time")["att"])
    assert ax.get_xlabel() == "相对整合年份"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["95%一致置信带", "估计值与95%置信区间"]
    # the EventStudyResult itself is aggregated by event time
    again = fg.event_study_plot(cs_result)
    assert fg.figure_bytes(again, "svg") == fg.figure_bytes(fig, "svg")
    with pytest.raises(dp.errors.SpecificationError, match="dynamic"):
        fg.event_study_plot(cs_result.aggregate("simple"))


def test_labels_come_from_the_result_not_internal_names():
    df = dp.datasets.chifeng_survey()
    fig = fg.lorenz_plot([dp.lorenz(df, "oop"), dp.concentration_curve(df, "oop", rank="income")])
    names = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert names == ["完全平等线", "洛伦兹曲线", "集中曲线"]
    by = fg.lorenz_plot([dp.concentration_curve(df, "oop", rank="income", by="urban")])
    assert [t.get_text() for t in by.axes[0].get_legend().get_texts()][1:] == ["农村", "城镇"]
    en = fg.lorenz_plot(dp.lorenz(df, "income", by="urban"), lang="en")
    assert [t.get_text() for t in en.axes[0].get_legend().get_texts()] == ["Line of equality", "Rural", "Urban"]
    panel = dp.datasets.province_panel()
    trend = fg.gap_trend_plot(panel, "year", "benefit_gap", group="nbs4", lang="en")
    legend = trend.axes[0].get_legend()
    assert legend.get_title().get_text() == "Region"
    assert [t.get_text() for t in legend.get_texts()] == ["East", "Central", "West", "Northeast"]
    # axis titles from the codebook's variable labels
    bars = fg.region_bar_plot(df.groupby("county", observed=True)["oop"].mean().reset_index(), "county", "oop")
    assert bars.axes[0].get_xlabel() == "自付费用（元）"
    plain = fg.region_bar_plot(pd.DataFrame({"r": ["a", "b"], "benefit_gap": [1.0, 2.0]}), "r", "benefit_gap")
    assert plain.axes[0].get_xlabel() == "城乡待遇差距"
    trend_s = fg.gap_trend_plot(df, "age", "oop", group="urban")
    assert trend_s.axes[0].get_ylabel() == "自付费用（元）"
    assert trend_s.axes[0].get_legend().get_title().get_text() == "城乡"


def test_unicode_minus_thesis_width_and_serif():
    es = pd.DataFrame({"event_time": [-2, 0, 1], "estimate": [-0.5, -1.5, -2.0]})
    es = es.assign(conf_low=es.estimate - 0.3, conf_high=es.estimate + 0.3)
    fig = fg.event_study_plot(es, serif=True)
    fig.draw_without_rendering()
    with figure_context(serif=True):
        fig.draw_without_rendering()
        ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert any(t.startswith("\u2212") for t in ticks) and not any(t.startswith("-") for t in ticks)
    assert fig.get_size_inches()[0] * 2.54 == pytest.approx(fg.THESIS_WIDTH_CM)
    assert fig.axes[0].xaxis.label.get_fontfamily()[:2] == ["STIXGeneral", "Noto Serif SC"]
    assert fig.axes[0].xaxis.label.get_fontsize() == 10.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        svg = fg.figure_bytes(fig, "svg")
        pdf = fg.figure_bytes(fig, "pdf")
    assert svg == fg.figure_bytes(fig, "svg")
    assert b"NotoSerifSC" in pdf and b"STIXGeneral" in pdf


def test_set_theme_makes_user_figures_cjk_safe():
    import matplotlib
    from matplotlib.figure import Figure

    saved = matplotlib.rcParams.copy()
    try:
        dp.set_theme(lang="en", serif=True)
        assert matplotlib.rcParams["axes.unicode_minus"] is True
        user = Figure()
        ax = user.add_subplot()
        ax.plot([-2, -1, 0], [1, 2, 3])
        ax.set_xlabel("城乡居民医保报销比例")
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a missing CJK glyph warns
            user.savefig(__import__("io").BytesIO(), format="png")
        assert [t.get_text() for t in ax.get_xticklabels()][0].startswith("\u2212")
        # disparity's own figures now default to the theme's language
        fig = fg.lorenz_plot(pd.DataFrame({"p": [0, 1], "ordinate": [0, 1]}))
        assert fig.axes[0].get_xlabel() == "Cumulative population share"
        with pytest.raises(dp.errors.SpecificationError, match="lang='fr'"):
            dp.set_theme(lang="fr")
    finally:
        dp.set_theme()
        matplotlib.rcParams.update(saved)
