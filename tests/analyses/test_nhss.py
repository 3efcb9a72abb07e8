"""analyses/nhss: the real NHSS county panel. The report's numbers equal direct pandas/numpy
computations from the bundled file, its first page says the data are real and where they come from,
and spec and notebook build the same report."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity.reports.pipeline import load_analysis, run_analysis

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "analyses" / "nhss"
BUNDLED = ROOT / "data" / "real" / "nhss_county_panel_1993_2008.xlsx"
SHARED = ROOT.parent / "shared" / "reference-data" / "nhss_county_panel_1993_2008.xlsx"
SHA256 = "13b6ba376c8bd25791786c39d50291b6cc1f6791ceea5b0e6118c94164af4cce"
#: Sums of a few hundred floats done in another order (pandas vs the measure engine).
SUM_ORDER_TOL = 1e-10
#: Least squares with ~100 dummy columns (numpy lstsq) vs linearmodels' within transformation.
FE_TOL = 1e-8


def _spec() -> dict:
    return tomllib.loads((FOLDER / "report.toml").read_text(encoding="utf-8"))


def _step(name: str) -> dict:
    return next(s for s in _spec()["steps"] if s.get("name") == name)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return dp.read_survey(BUNDLED)


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' notice about its future default Excel engine
        return pd.read_excel(BUNDLED, sheet_name="data1", engine="openpyxl")


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    return run_analysis(load_analysis(FOLDER / "report.toml"), output=tmp_path_factory.mktemp("nhss") / "spec")


def test_bundled_file_is_the_published_one_with_its_licence():
    assert hashlib.sha256(BUNDLED.read_bytes()).hexdigest() == SHA256
    licence = (ROOT / "data" / "real" / "LICENSE-nhss_county_panel.txt").read_text(encoding="utf-8")
    assert licence.startswith("MIT License") and "Copyright (c) 2018 Tianhao Zhao" in licence
    readme = (ROOT / "data" / "real" / "README.md").read_text(encoding="utf-8")
    assert "Clpr/HealthInequality2018Dec" in readme and SHA256 in readme
    # CI has ../shared beside the clone: fail, not skip, when it is missing
    assert SHARED.is_file(), f"{SHARED} is missing; the reference-data folder must sit beside the checkout"
    assert SHARED.read_bytes() == BUNDLED.read_bytes()


def test_loader_reads_the_sheet_as_pandas_does(panel, raw):
    assert panel.shape == raw.shape == (376, 40)
    for col in ("year", "ID", "urban", "population", "income", "medicost", "insurance"):
        np.testing.assert_array_equal(panel[col].to_numpy(dtype=float), raw[col].to_numpy(dtype=float))


def _wmean(d: pd.DataFrame, y: str) -> float:
    d = d.dropna(subset=[y])
    return float((d[y] * d["population"]).sum() / d["population"].sum())


@pytest.mark.parametrize("step, y, waves", [("gap_insurance", "insurance", [1998, 2003, 2008]),
                                            ("gap_medicost", "medicost", [1993, 1998, 2003, 2008])])
def test_gap_per_wave_equals_direct_weighted_means(panel, raw, step, y, waves):
    args = _step(step)["args"]
    assert (args["y"], args["group"], args["reference"], args["weights"], args["by"]) == (y, "urban", 1, "population", "year")
    res = dp.gap(panel, **args).tidy()
    diff = res[res["component"] == "difference"].set_index("year")["estimate"]
    assert list(diff.index) == waves  # 1993 has no insurance question: no row, not a zero
    for wave in waves:
        d = raw[raw["year"] == wave]
        rural, urban = _wmean(d[d["urban"] == 0], y), _wmean(d[d["urban"] == 1], y)
        assert diff[wave] == pytest.approx(rural - urban, rel=SUM_ORDER_TOL)
    # the figures readers see: rural coverage 9.9% -> 92.5%, overtaking urban by 2008
    if y == "insurance":
        assert round(diff[1998], 2) == -42.27 and round(diff[2008], 2) == 20.62


def test_report_tables_show_the_direct_values(report, raw):
    d = raw[raw["year"] == 1998]
    gap98 = _wmean(d[d["urban"] == 0], "insurance") - _wmean(d[d["urban"] == 1], "insurance")
    table2 = (report / "tables" / "table2.md").read_text(encoding="utf-8")
    assert f"| 城乡差距 (1998, 差值) | {gap98:.4f} |" in table2


def _theil(y: np.ndarray, w: np.ndarray) -> float:
    mu = np.sum(w * y) / np.sum(w)
    return float(np.sum(w * (y / mu) * np.log(y / mu)) / np.sum(w))


def test_theil_decomposition_by_urban_rural(panel, raw):
    res = dp.theil(panel, **_step("theil_medicost")["args"]).tidy()
    for wave, d in raw.groupby("year"):
        y, w = d["medicost"].to_numpy(float), d["population"].to_numpy(float)
        mu = np.sum(w * y) / np.sum(w)
        within = between = 0.0
        for _, g in d.groupby("urban"):
            yg, wg = g["medicost"].to_numpy(float), g["population"].to_numpy(float)
            mug = np.sum(wg * yg) / np.sum(wg)
            share = np.sum(wg) * mug / (np.sum(w) * mu)  # group's share of the total
            within += share * _theil(yg, wg)
            between += share * np.log(mug / mu)
        got = res[res["year"] == wave].set_index("component")["estimate"]
        assert got["total"] == pytest.approx(_theil(y, w), rel=SUM_ORDER_TOL)
        assert got["within"] == pytest.approx(within, rel=SUM_ORDER_TOL)
        assert got["between"] == pytest.approx(between, rel=SUM_ORDER_TOL)
        assert got["within"] + got["between"] == pytest.approx(got["total"], rel=SUM_ORDER_TOL)


def test_concentration_of_medical_cost_by_income(panel, raw):
    res = dp.concentration_index(panel, **_step("ci_medicost")["args"]).tidy().set_index("year")["estimate"]
    for wave, d in raw.groupby("year"):
        d = d.sort_values("income")
        w = d["population"].to_numpy(float) / d["population"].sum()
        y = d["medicost"].to_numpy(float)
        # weighted fractional rank, ties sharing their mean rank
        cum = np.cumsum(w) - w / 2
        frame = pd.DataFrame({"income": d["income"].to_numpy(), "w": w, "wr": w * cum})
        sums = frame.groupby("income")[["w", "wr"]].transform("sum")
        rank = (sums["wr"] / sums["w"]).to_numpy()
        mu = np.sum(w * y)
        ci = 2 * np.sum(w * (y - mu) * (rank - np.sum(w * rank))) / mu
        assert res[wave] == pytest.approx(ci, rel=SUM_ORDER_TOL)
    assert res.between(0.15, 0.25).all()  # concentrated in richer areas in every wave


@pytest.mark.parametrize("step", ["fe_insured", "fe_all"])
def test_county_fixed_effects_equal_dummy_least_squares(panel, raw, step):
    args = dict(_step(step)["args"])
    formula = args.pop("formula")
    fit = dp.panel(formula, panel, **args)
    xs = [t.strip() for t in formula.split("~")[1].split("+")]
    cols = {"log(income)": np.log(raw["income"])} | {x: raw[x] for x in xs if x != "log(income)"}
    d = pd.DataFrame(cols).assign(y=np.log(raw["medicost"]), ID=raw["ID"], year=raw["year"]).dropna()
    dummies = pd.get_dummies(d["ID"].astype(str), drop_first=True, dtype=float).join(
        pd.get_dummies(d["year"].astype(str), drop_first=True, dtype=float))
    X = np.column_stack([np.ones(len(d)), d[xs].to_numpy(float), dummies.to_numpy()])
    beta = np.linalg.lstsq(X, d["y"].to_numpy(float), rcond=None)[0][1 : 1 + len(xs)]
    np.testing.assert_allclose(fit.params[xs].to_numpy(), beta, rtol=FE_TOL, atol=FE_TOL)
    assert fit.nobs == len(d) == (284 if step == "fe_insured" else 376)


def test_first_page_says_real_data_and_its_source(report):
    html = (report / "index.html").read_text(encoding="utf-8")
    first = html[: html.find("<h2")]
    assert "真实数据" in first and "Clpr/HealthInequality2018Dec" in first and "MIT" in first
    assert "合成数据" not in first
    readme = (FOLDER / "README.md").read_text(encoding="utf-8")
    assert "REAL, not synthetic" in readme
    produced = {p.relative_to(report).as_posix() for p in report.rglob("*") if p.is_file()}
    assert {"tables/table6.md", "figures/figure1.png", "figures/figure2.png", "report.docx"} <= produced


def test_region_codes_of_the_real_panel(raw):
    wave = raw[raw["year"] == 2008]
    codes = dp.regions.to_code(wave["ID"], vintage=2008)
    assert codes.str.fullmatch(r"\d{6}").all()
    # every official name (without suffix) is in the source's own district text (北京密云县 ...)
    short = dp.regions.to_name(codes, lang="short", vintage=2008)
    assert all(s in dist for s, dist in zip(short, wave["district"], strict=True))
    # 庐江县 was under the 巢湖市 prefecture (abolished 2011) and went to Hefei
    lujiang = dp.regions.crosswalk(["341421"], 2008, 2024)
    assert lujiang[["code_to", "name_to", "relation"]].values.tolist() == [["340124", "庐江县", "recoded"]]
    everywhere = dp.regions.to_code(raw["ID"], vintage=2008, errors="coerce")
    assert sorted(everywhere.attrs["unresolved"]) == ["310227", "330184", "510212", "640223", "642126"]


def test_notebook_is_generated_from_the_spec():
    spec = importlib.util.spec_from_file_location("make_notebooks", ROOT / "analyses" / "make_notebooks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert (FOLDER / "nhss.ipynb").read_text(encoding="utf-8") == mod.render(FOLDER / "report.toml"), (
        "run `python analyses/make_notebooks.py` after editing the spec"
    )


@pytest.mark.notebooks
def test_spec_and_notebook_build_identical_reports(report, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(FOLDER / "nhss.ipynb", as_version=4)
    param = next(c for c in nb.cells if c.cell_type == "code" and "# parameters" in c.source)
    param.source = f"OUTPUT = {str(tmp_path / 'nb')!r}  # parameters"
    os.environ["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(FOLDER)}}).execute()
    nb_out = tmp_path / "nb"
    produced = sorted(p.relative_to(report).as_posix() for p in report.rglob("*") if p.is_file())
    assert produced == sorted(p.relative_to(nb_out).as_posix() for p in nb_out.rglob("*") if p.is_file())
    for rel in produced:
        if rel != "manifest.json":
            assert (report / rel).read_bytes() == (nb_out / rel).read_bytes(), rel
    assert json.loads((report / "manifest.json").read_text(encoding="utf-8"))["seeds"] == {"seed": 20190513}
