"""Declarative specs and the ``disparity report`` command: builds, safety checks, errors."""

import json
from pathlib import Path

import pytest

import disparity as dp
from disparity.cli import main
from disparity.reports.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]

SPEC = """
title = "规格测试"
lang = "zh"
output = "out"
seed = 11

[data]
dataset = "chifeng_survey"
codes = ["urban", "support"]

[[models]]
name = "m1"
formula = "support ~ dev + benefit_gap + log(income)"
vcov = "cluster"
cluster = "county"
reps = 99

[[tables]]
type = "regression"
models = ["m1"]
title = "回归"
labels = { county = "县" }

[[tables]]
type = "summary"
columns = ["age", "benefit_gap"]
stats = ["n", "mean"]

[[figures]]
type = "coef"
models = ["m1"]
caption = "系数"
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "spec.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_cli_builds_report_from_spec(tmp_path, capsys):
    spec = _write(tmp_path, SPEC)
    assert main(["report", str(spec)]) == 0
    out = tmp_path / "out"
    assert (out / "index.html").is_file() and (out / "report.docx").is_file()
    assert (out / "tables" / "table1.md").read_text(encoding="utf-8").startswith("**表1 回归**")
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert m["spec"]["models"][0]["formula"] == "support ~ dev + benefit_gap + log(income)"
    assert m["seeds"] == {"seed": 11}
    assert m["inputs"][0]["path"].endswith("chifeng_survey.dta")
    printed = capsys.readouterr().out
    assert "model 1/1: m1" in printed and "table 1: 回归" in printed
    md = (out / "tables" / "table1.md").read_text(encoding="utf-8")
    assert "99次抽样，种子11" in md
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "合成数据" in html  # synthetic data are flagged on the first page


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s.replace('log(income)"', "__import__('os').system('echo hi')\""), "not allowed from an analysis file"),
        (lambda s: s.replace("log(income)", "eval(income)"), "calls eval\\(\\), which is not allowed"),
        (lambda s: s.replace('title = "回归"', 'title = "回归"\ncolour = "red"'), "unknown key\\(s\\) \\['colour'\\]"),
        (lambda s: s.replace('formula = "support', 'estimator = "tobit"\nformula = "support'), "estimator = 'tobit' is not supported"),
        (lambda s: s.replace('models = ["m1"]\ntitle', 'models = ["m9"]\ntitle'), "model 'm9', which is not defined"),
        (lambda s: s.replace('dataset = "chifeng_survey"', 'dataset = "secret"'), "dataset = 'secret' is not supported"),
        (lambda s: s + "\n[[[broken", "not valid TOML"),
    ],
)
def test_unsafe_or_wrong_specs_are_refused(tmp_path, capsys, edit, message):
    spec = _write(tmp_path, edit(SPEC))
    with pytest.raises(dp.errors.SpecificationError, match=message):
        from disparity.reports.spec import build_report

        build_report(load_spec(spec))
    assert main(["report", str(spec)]) == 2
    assert "disparity: error:" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_example_spec_parses():
    spec = load_spec(ROOT / "examples" / "chifeng_report.toml")
    assert spec.title.startswith("赤峰市") and [m["name"] for m in spec.raw["models"]] == ["base", "full", "logit"]


MEASURE_SPEC = """
title = "不平等"
output = "out"
[data]
dataset = "chifeng_survey"
[[measures]]
name = "g"
measure = "gini"
y = "income"
weights = "weight"
[[tables]]
type = "measures"
measures = ["g"]
labels = { gini = "基尼系数" }
"""


def test_spec_measures_go_through_the_measures_layer(tmp_path, monkeypatch):
    import pandas as pd

    from disparity import measures
    from disparity.reports.spec import build_report

    calls = []

    class _Res:
        measure = "gini"

        def tidy(self):
            return pd.DataFrame({"measure": ["gini"], "component": ["gini"], "estimate": [0.3125],
                                 "std_error": [0.0101], "nobs": [2947.0]})

    def fake_gini(df, y, **kw):
        calls.append((len(df), y, kw))
        return _Res()

    # the real dp.gini lives on the measures branch; the spec's plumbing is what is tested here
    monkeypatch.setattr(measures, "gini", fake_gini, raising=False)
    out = build_report(load_spec(_write(tmp_path, MEASURE_SPEC)))
    assert calls == [(3000, "income", {"weights": "weight"})]
    md = (out / "tables" / "table1.md").read_text(encoding="utf-8")
    assert "| 基尼系数 | 0.3125 | (0.0101) | 2947 |" in md


def test_spec_measure_missing_from_installation(tmp_path, monkeypatch):
    from disparity import measures
    from disparity.reports.spec import build_report

    monkeypatch.delattr(measures, "gini", raising=False)
    with pytest.raises(dp.errors.SpecificationError, match="not available in this installation"):
        build_report(load_spec(_write(tmp_path, MEASURE_SPEC)))
    with pytest.raises(dp.errors.SpecificationError, match="measure = 'os_system' is not supported"):
        load_spec(_write(tmp_path, MEASURE_SPEC.replace('measure = "gini"', 'measure = "os_system"')))


def test_spec_lorenz_figure_uses_the_measures_curve(tmp_path, monkeypatch):
    import numpy as np
    import pandas as pd

    from disparity import measures
    from disparity.reports.spec import build_report

    seen = {}

    class _Curve:
        def tidy(self):
            p = np.linspace(0, 1, 5)
            return pd.DataFrame({"curve": "lorenz", "p": p, "ordinate": p**2})

    def fake_lorenz(df, y, **kw):
        seen.update(y=y, **kw)
        return _Curve()

    monkeypatch.setattr(measures, "lorenz", fake_lorenz, raising=False)
    text = ('title = "曲线"\n[data]\ndataset = "chifeng_survey"\n'
            '[[figures]]\ntype = "lorenz"\ny = "income"\nby = "urban"\ncaption = "洛伦兹曲线"\n')
    out = build_report(load_spec(_write(tmp_path, text)), output=tmp_path / "o")
    assert seen == {"y": "income", "by": "urban"}
    assert (out / "figures" / "figure1.svg").is_file()
