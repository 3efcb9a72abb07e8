"""The seed studies as runnable analyses: spec and notebook build the same report; estimates recover
the documented truth of the synthetic data."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest

import disparity as dp
from disparity.reports.pipeline import load_analysis, run_analysis

ROOT = Path(__file__).resolve().parents[2]
ANALYSES = ["chifeng", "gansu", "national"]


def _make_notebooks():
    spec = importlib.util.spec_from_file_location("make_notebooks", ROOT / "analyses" / "make_notebooks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("name", ANALYSES)
def test_each_analysis_has_spec_notebook_and_readme(name):
    folder = ROOT / "analyses" / name
    for f in ("report.toml", f"{name}.ipynb", "README.md"):
        assert (folder / f).is_file(), f
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "synthetic" in readme.lower() and "seed" in readme.lower()


@pytest.mark.parametrize("name", ANALYSES)
def test_notebooks_are_generated_from_the_specs(name):
    mod = _make_notebooks()
    folder = ROOT / "analyses" / name
    assert (folder / f"{name}.ipynb").read_text(encoding="utf-8") == mod.render(folder / "report.toml"), (
        "run `python analyses/make_notebooks.py` after editing a spec"
    )


def _run_notebook(name: str, output: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    folder = ROOT / "analyses" / name
    nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
    param = next(c for c in nb.cells if c.cell_type == "code" and "# parameters" in c.source)
    param.source = f"OUTPUT = {str(output)!r}  # parameters"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    os.environ.update(env)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()


@pytest.mark.notebooks
@pytest.mark.parametrize("name", ANALYSES)
def test_spec_and_notebook_build_identical_reports(name, tmp_path):
    spec_out = run_analysis(load_analysis(ROOT / "analyses" / name / "report.toml"), output=tmp_path / "spec")
    _run_notebook(name, tmp_path / "nb")
    nb_out = tmp_path / "nb"
    produced = sorted(p.relative_to(spec_out).as_posix() for p in spec_out.rglob("*") if p.is_file())
    assert produced == sorted(p.relative_to(nb_out).as_posix() for p in nb_out.rglob("*") if p.is_file())
    assert any(p.startswith("tables/") for p in produced) and any(p.startswith("figures/") for p in produced)
    for rel in produced:
        if rel in ("manifest.json",):
            continue
        assert (spec_out / rel).read_bytes() == (nb_out / rel).read_bytes(), rel
    html = (spec_out / "index.html").read_text(encoding="utf-8")
    first = html[: html.find("<h2")] if "<h2" in html else html[:4000]
    assert "合成数据" in first  # the first page says the data are synthetic
    manifest = json.loads((spec_out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seeds"] == {"seed": 20190513}


def test_chifeng_models_recover_the_true_parameters():
    """The spec's logit and ordered logit recover the documented coefficients.

    Every coefficient lies in its 99% interval and the study's parameters of interest (development,
    benefit gap, their interaction) in their 95% intervals. (With 12 coefficients, one 95% miss is
    expected by chance: edu_years is the one here.)"""
    truth = dp.datasets.true_parameters()
    spec = load_analysis(ROOT / "analyses" / "chifeng" / "report.toml")
    steps = {s["name"]: s for s in spec.raw["steps"] if "name" in s}
    model = dp.reports.pipeline.prepare(dp.datasets.chifeng_survey(), codes=spec.raw["data"]["model"]["codes"])
    args = dict(steps["logit"]["args"])
    logit = dp.logit(args.pop("formula"), model, **args)
    ren = {"I((age - 50) / 10)": "age10", "urban": "rural"}
    sign = {"rural": -1.0}  # the spec uses urban (= 1 - rural)
    for level in (0.99, 0.95):
        ci = logit.conf_int(level=level).rename(index=ren)
        for k, v in truth["support_logit"].items():
            if level == 0.95 and k not in ("dev", "benefit_gap", "dev:benefit_gap"):
                continue
            lo, hi = sorted(sign.get(k, 1.0) * ci.loc[k].to_numpy())
            assert lo <= v <= hi, (k, level, lo, v, hi)
    args = dict(steps["ologit"]["args"])
    ologit = dp.ordered(args.pop("formula"), model, **args)
    ci = ologit.conf_int(level=0.99).rename(index={"urban": "rural"})
    for k, v in truth["satisfaction_ordered_logit"].items():
        lo, hi = sorted(sign.get(k, 1.0) * ci.loc[k].to_numpy())
        assert lo <= v <= hi, (k, lo, v, hi)
    cuts = ologit.params.iloc[-4:].to_numpy()
    # with urban = 1 - rural in place of rural, each cut point becomes c_j - beta_rural = c_j + 0.30
    beta_rural = truth["satisfaction_ordered_logit"]["rural"]
    np.testing.assert_allclose(cuts + beta_rural, truth["satisfaction_cutpoints"],
                               atol=3 * ologit.std_errors.iloc[-4:].max())


def test_national_cs_recovers_truth_and_twfe_does_not():
    """True average effect over the cells CS identifies with not-yet-treated controls (cohorts 2012-2018,
    years before 2019) is -3.0 (from province_panel.csv's true_effect); TWFE is far from it."""
    p = dp.datasets.province_panel()
    ident = p[(p.integrated == 1) & (p.year < 2019) & (p.integration_year > 2010)]
    truth = ident["true_effect"].mean()
    assert truth == pytest.approx(-3.0, abs=1e-9)
    cs = dp.event_study(p, "benefit_gap", "region_code", "year", "integration_year", estimator="cs",
                        control="notyet", se="analytic")
    simple = cs.aggregate("simple")
    assert abs(simple.value - truth) < 3 * simple.std_error
    twfe = dp.did(p, "benefit_gap", unit="region_code", time="year", cohort="integration_year",
                  cluster="region_code", seed=1)
    assert abs(twfe.att - truth) > 5 * twfe.std_error
