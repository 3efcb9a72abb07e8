"""Issue 21 item 1: figures show inline in a fresh kernel with no magic, every result and table has
an HTML display, and print() of a result shows its summary (issue 18 item 2: one display module)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import disparity as dp
from disparity.reports import figures as fg

ROOT = Path(__file__).resolve().parents[2]

FIGURE_CELLS = [
    'dp.lorenz_plot(dp.lorenz(df, "income", by="urban"))',
    'dp.gap_trend_plot(panel, "year", "benefit_gap", group="nbs4")',
    'dp.coef_plot({"(1)": m1, "(2)": m2})',
    'dp.event_study_plot(cs.aggregate("dynamic"))',
    'dp.marginal_effects_plot(m1.marginal_effects("income", at={"age": [30, 50, 70]}), at="age")',
    'dp.radar_chart(panel[panel.year == 2023].head(2), label="region", columns=["reimb_rural", "reimb_urban", "urbanisation"])',
    'dp.region_bar_plot(panel[panel.year == 2023], "region", "benefit_gap")',
    'fig = dp.lorenz_plot(dp.lorenz(df, "income"), serif=True)\nfig',
    'cs.aggregate("dynamic").plot()',  # a result's own plot method
    'dp.bacon(panel, "benefit_gap", "region_code", "year", "integration_year").plot()',
]


def _notebook():
    import nbformat

    setup = "\n".join([
        "import sys",
        f"sys.path.insert(0, {str(ROOT)!r})",
        "import disparity as dp",
        "df = dp.datasets.chifeng_survey()",
        "panel = dp.datasets.province_panel()",
        'm1 = dp.ols("oop ~ income * age", data=df)',
        'm2 = dp.ols("oop ~ income + age", data=df)',
        'cs = dp.event_study(panel, "benefit_gap", unit="region_code", time="year", cohort="integration_year", '
        'control="notyet", reps=49, seed=1)',
    ])
    cells = [nbformat.v4.new_code_cell(setup)]
    cells += [nbformat.v4.new_code_cell(src) for src in FIGURE_CELLS]
    cells += [nbformat.v4.new_code_cell("m1"), nbformat.v4.new_code_cell("dp.regression_table([m1, m2])"),
              nbformat.v4.new_code_cell("print(m2)")]
    return nbformat.v4.new_notebook(cells=cells)


@pytest.mark.notebooks
def test_figures_display_inline_in_a_fresh_kernel(tmp_path):
    from nbclient import NotebookClient

    nb = _notebook()
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = str(ROOT) + (os.pathsep + env_path if env_path else "")
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    figure_cells = nb.cells[1:1 + len(FIGURE_CELLS)]
    for cell in figure_cells:
        results = [o for o in cell.outputs if o.output_type == "execute_result"]
        assert len(results) == 1, cell.source
        data = results[0]["data"]
        assert "image/png" in data, (cell.source, list(data))
        assert data["text/plain"].startswith(("<DisparityFigure", "<InlineFigure"))
        assert not [o for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"], cell.source
    model, table, printed = nb.cells[-3:]
    assert "text/html" in model.outputs[0]["data"] and "<table>" in model.outputs[0]["data"]["text/html"]
    assert "dp-table" in table.outputs[0]["data"]["text/html"]
    text = printed.outputs[0]["text"]
    assert text.startswith("ols: oop ~ income + age") and "std_error" in text and "Intercept" in text


def test_inline_png_is_the_saved_png():
    panel = dp.datasets.province_panel()
    fig = fg.gap_trend_plot(panel, "year", "benefit_gap", group="nbs4")
    shown, meta = fig._repr_png_()
    assert shown[:8] == b"\x89PNG\r\n\x1a\n"
    assert meta == {"width": round(fg.THESIS_WIDTH_CM / 2.54 * 100), "height": round(fig.get_size_inches()[1] * 100)}
    # showing it first does not change what is saved, and saving twice gives the same bytes
    assert fg.figure_bytes(fig, "png") == shown
    assert fg.figure_bytes(fig, "svg") == fg.figure_bytes(fig, "svg")


def _results():
    df = dp.datasets.chifeng_survey()
    panel = dp.datasets.province_panel()
    m = dp.ols("oop ~ income + age", data=df)
    cs = dp.event_study(panel, "benefit_gap", unit="region_code", time="year", cohort="integration_year",
                        control="notyet", reps=49, seed=1)
    sat = df[df.satisfaction != "不知道"].assign(satisfaction=lambda d: d.satisfaction.cat.remove_unused_categories())
    return {
        "model": m,
        "summary": m.summary(),
        "ordered": dp.ordered("satisfaction ~ income + age", data=sat),
        "measure": dp.gini(df, "income", by="urban"),
        "curve": dp.lorenz(df, "income"),
        "event_study": cs,
        "aggregate": cs.aggregate("dynamic"),
        "pretrend": cs.pretrend_test(),
        "did": dp.did(panel, "benefit_gap", unit="region_code", time="year", cohort="integration_year"),
        "oaxaca": dp.oaxaca("oop ~ income + age", data=df, by="urban"),
        "table": dp.regression_table(m),
    }


@pytest.fixture(scope="module")
def results():
    return _results()


@pytest.mark.parametrize("name", ["model", "summary", "ordered", "measure", "curve", "event_study", "aggregate",
                                  "pretrend", "did", "oaxaca", "table"])
def test_every_result_displays(results, name):
    res = results[name]
    html = res._repr_html_()
    assert "<table" in html or name == "pretrend"
    short = repr(res)
    assert "\n" not in short and len(short) < 200, short
    text = str(res)
    assert len(text.splitlines()) >= 3, text
    assert " cov=" not in short and "params=" not in short


def test_print_model_shows_the_summary_not_the_covariance(results):
    m = results["model"]
    text = str(m)
    assert text.splitlines()[0] == "ols: oop ~ income + age"
    assert "nobs" in text and "vcov" in text and "conf_high" in text
    assert f"{m.params['income']:.6g}" in text
    assert "params=" not in repr(m) and repr(m).startswith("<ModelResult ols: oop ~ income + age: nobs=")


def test_ordered_cut_points_shown_in_their_own_block(results):
    text = str(results["ordered"])
    coef, cuts = text.split("[coefficients]")[1].split("[cut points]")
    assert "income" in coef and "|" not in coef
    assert "很不满意|不满意" in cuts and "income" not in cuts
