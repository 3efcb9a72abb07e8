"""Shared resampling machinery: resource check, chunks, progress bar (issue 16 item 5)."""

import numpy as np
import pytest

from disparity import _resample
from disparity.errors import DataValueError, SpecificationError
from disparity.models import bootstrap as wbmod


def test_budget_refuses_with_what_would_be_needed(monkeypatch):
    monkeypatch.setattr(_resample, "available_memory", lambda: 2**30)
    with pytest.raises(DataValueError, match=r"reps=10,000 would need about 2\.0 GiB of memory "
                                             r"\(819\.2 MiB is available\); refused\. Use fewer"):
        _resample.check_budget("x", reps=10_000, bytes_needed=2 * 2**30, seconds_needed=1.0)
    with pytest.raises(DataValueError, match=r"about 3[\d.]* years of computing.*Use fewer"):
        _resample.check_budget("x", reps=10, bytes_needed=1.0, seconds_needed=1e8)
    _resample.check_budget("x", reps=10, bytes_needed=1e6, seconds_needed=10.0)  # fine


def test_available_memory_is_plausible():
    assert 2**26 < _resample.available_memory() < 2**50


def test_check_reps():
    assert _resample.check_reps(np.int64(500), minimum=2, what="w") == 500
    assert _resample.check_reps(0, minimum=2, what="w", allow_zero=True) == 0
    for bad in (1, 2.5, True, "9"):
        with pytest.raises(SpecificationError, match="must be"):
            _resample.check_reps(bad, minimum=2, what="w")


def test_chunks_cover_the_range():
    assert list(_resample.chunks(10, 4)) == [(0, 4), (4, 8), (8, 10)]
    assert _resample.chunk_size(10**9, 10**9) == 1
    assert _resample.chunk_size(100, 10) == 100


def _design(G=40, n=400, seed=0):
    rng = np.random.default_rng(seed)
    codes = np.arange(n) % G
    X = np.column_stack([np.ones(n), rng.normal(size=n)])
    y = X @ [0.1, 0.2] + rng.normal(size=n)
    A = np.linalg.inv(X.T @ X)
    return dict(X=X, y=y, codes=codes, bread=A, params=A @ X.T @ y)


def test_progress_bar_shows_only_when_asked_and_seen(monkeypatch, capsys):
    monkeypatch.setattr(_resample, "PROGRESS_AFTER_SECONDS", 0.0)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(_resample, "_interactive", lambda: True)
    wbmod.wild_cluster_bootstrap(**_design(), reps=999, seed=1)
    assert "wild bootstrap" in capsys.readouterr().err
    wbmod.wild_cluster_bootstrap(**_design(), reps=999, seed=1, progress=False)
    assert capsys.readouterr().err == ""
    with pytest.raises(SpecificationError, match="progress"):
        wbmod.wild_cluster_bootstrap(**_design(), reps=999, seed=1, progress="yes")


def test_progress_bar_silent_in_ci_and_off_a_terminal(monkeypatch, capsys):
    monkeypatch.setattr(_resample, "PROGRESS_AFTER_SECONDS", 0.0)
    monkeypatch.setenv("CI", "true")
    assert not _resample._interactive()
    wbmod.wild_cluster_bootstrap(**_design(), reps=999, seed=1)
    monkeypatch.delenv("CI")
    assert not _resample._interactive()  # pytest captures stderr: not a terminal
    wbmod.wild_cluster_bootstrap(**_design(), reps=999, seed=1)
    assert capsys.readouterr().err == ""


def test_short_loops_show_no_bar(monkeypatch, capsys):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(_resample, "_interactive", lambda: True)
    wbmod.wild_cluster_bootstrap(**_design(), reps=999, seed=1)  # milliseconds: below ~2 s
    assert capsys.readouterr().err == ""


def test_every_resampling_loop_refuses_an_impossible_request():
    import disparity as dp

    survey = dp.datasets.chifeng_survey()
    panel = dp.datasets.province_panel()
    calls = {
        "gini": lambda r: dp.gini(survey, "oop", se="bootstrap", reps=r, seed=1),
        "mediation": lambda r: dp.mediation("oop ~ urb + age", survey.assign(urb=(survey.urban == "城镇").astype(int)),
                                            treatment="urb", mediator="income", reps=r, seed=1),
        "placebo": lambda r: dp.placebo(panel, "benefit_gap", "region_code", "year",
                                        "integration_year", reps=r, seed=1),
        "threshold": lambda r: dp.threshold("benefit_gap ~ urbanisation", panel, threshold_var="gdp_pc",
                                            regime="subsidy_pc", entity="region_code", time="year",
                                            grid=20, reps=r, seed=1),
        "oaxaca": lambda r: dp.oaxaca("oop ~ age + edu_years", survey, by="urban", se="bootstrap",
                                      reps=r, seed=1),
        "fairlie": lambda r: dp.fairlie("inp ~ age", survey.assign(inp=(survey.inpatient == "是").astype(int)),
                                        by="urban", reps=r, seed=1),
        "event_study": lambda r: dp.event_study(panel, "benefit_gap", "region_code", "year",
                                                "integration_year", control="notyet", reps=r, seed=1),
    }
    for name, call in calls.items():
        # 10**12 replicates cannot be held in memory whatever one replicate costs (10**9 of a
        # fast placebo passed the one-day time budget once the demeaning got faster, and ran)
        with pytest.raises(DataValueError, match=r"reps=1,000,000,000,000 would need about .*refused"):
            call(10**12)
            pytest.fail(f"{name} accepted reps=10**12")


@pytest.mark.parametrize("obj", [wbmod.wild_cluster_bootstrap, _resample.Ticker])
def test_module_examples_run(obj):
    import doctest
    import inspect

    globs = {**vars(inspect.getmodule(obj)), "np": np}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = doctest.DocTestFinder(recurse=False).find(obj, obj.__name__, globs=globs)
    assert tests and sum(len(t.examples) for t in tests) > 0
    for t in tests:
        assert runner.run(t).failed == 0
