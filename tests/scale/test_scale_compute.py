"""scale.compute: lazy results computed together in shared scans equal the eager calls.

The data have missing values in different columns, so the three steps use different rows (their
own complete cases): the shared query must keep them apart (the flag bits), and the shared row
values and aggregates (the same weight column in all three) must not mix them up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity import scale
from disparity.errors import DataValueError, SpecificationError
from disparity.scale import _plan
from tests._assert import assert_tidy_close

FORMULA = "y ~ inc + hukou + C(region) + log(inc)"
#: Shared and separate passes add the same numbers in a different order (pandas over cells
#: instead of the engine over rows): equal to rounding, far inside the engine tolerance.
FUSED_TOL = 1e-10


@pytest.fixture(scope="module")
def gappy(tmp_path_factory, checks):
    """The shared survey with extra holes: ``inc`` and ``region`` missing in different rows from ``y``."""
    df = checks.make_survey(1800, seed=11)
    df.loc[df.index % 17 == 0, "inc"] = np.nan
    df.loc[df.index % 23 == 5, "region"] = None
    path = tmp_path_factory.mktemp("compute") / "gappy.parquet"
    df.to_parquet(path)
    return df, path


@pytest.fixture()
def table(engine, gappy):
    return engine.read_parquet(gappy[1])


def _job(t, lazy):
    return (
        scale.gap(t, "y", "hukou", weights="w", by="year", lazy=lazy),
        scale.theil(t, "y", "region", weights="w", lazy=lazy),
        scale.ols(FORMULA, t, weights="w", vcov="cluster", cluster="county", lazy=lazy),
    )


def test_compute_equals_eager_and_memory(checks, gappy, table, monkeypatch):
    calls = {"fused": [], "single": 0}
    fused, single = _plan.execute_fused, _plan.execute

    def count_fused(passes):
        calls["fused"].append(len(passes))
        return fused(passes)

    def count_single(p):
        calls["single"] += 1
        return single(p)

    monkeypatch.setattr(_plan, "execute_fused", count_fused)
    monkeypatch.setattr(_plan, "execute", count_single)
    g, th, m = scale.compute(*_job(table, lazy=True))
    assert calls == {"fused": [3], "single": 0}  # one query for the three steps
    monkeypatch.setattr(_plan, "execute_fused", fused)
    monkeypatch.setattr(_plan, "execute", single)
    g0, th0, m0 = _job(table, lazy=False)
    assert_tidy_close(g, g0, rtol=FUSED_TOL)
    assert_tidy_close(th, th0, rtol=FUSED_TOL)
    assert_tidy_close(m, m0, rtol=FUSED_TOL)
    assert th.details.equals(th0.details) or np.allclose(
        th.details.select_dtypes("number"), th0.details.select_dtypes("number"), rtol=FUSED_TOL)
    # and the in-memory functions on the same data
    df = gappy[0]
    checks.same_measure(g, dp.gap(df, "y", "hukou", weights="w", by="year"))
    checks.same_measure(th, dp.theil(df, "y", "region", weights="w"))
    checks.same_model(m, dp.ols(FORMULA, df, weights="w", vcov="cluster", cluster="county"))
    # each step used its own complete rows
    assert m.nobs == int(df[["y", "inc", "hukou", "region", "county"]].notna().all(axis=1).sum())
    assert th.table["nobs"].iloc[0] == int(df[["y", "region", "w"]].notna().all(axis=1).sum())


def test_single_lazy_and_progress(table):
    messages = []
    lz = scale.ge(table, "y", alpha=0.5, group="hukou", weights="w", lazy=True,
                  progress=lambda msg, sec: messages.append(msg))
    assert isinstance(lz, scale.Lazy)
    assert "not computed" in repr(lz)
    r = lz.compute()
    eager = scale.ge(table, "y", alpha=0.5, group="hukou", weights="w")
    assert_tidy_close(r, eager, rtol=FUSED_TOL)
    assert messages == ["ge: group sufficient statistics (one pass)"]
    with pytest.raises(SpecificationError, match="already computed"):
        lz.compute()


def test_shared_pass_is_reported(table):
    messages = []

    def sink(msg, sec):
        messages.append(msg)

    scale.compute(scale.gap(table, "y", "hukou", weights="w", lazy=True, progress=sink),
                  scale.ge(table, "y", alpha=2, weights="w", lazy=True, progress=sink))
    assert any(m.startswith("one shared pass for 2 steps: gap; ge") for m in messages)


def test_argument_errors_surface_when_made(table):
    with pytest.raises(SpecificationError, match="not found"):
        scale.gap(table, "nope", "hukou", lazy=True)
    with pytest.raises(SpecificationError, match="cluster"):
        scale.ols("y ~ inc", table, vcov="cluster", lazy=True)
    with pytest.raises(SpecificationError, match="lazy=True"):
        scale.compute(scale.gap(table, "y", "hukou"))


def test_data_errors_surface_at_compute(engine, tmp_path):
    df = pd.DataFrame({"y": [1.0, -2.0, 3.0, 4.0], "g": ["a", "b", "a", "b"]})
    df.to_parquet(tmp_path / "neg.parquet")
    t = engine.read_parquet(tmp_path / "neg.parquet")
    ok = scale.gap(t, "y", "g", lazy=True)
    bad = scale.mld(t, "y", lazy=True)  # needs positive values
    with pytest.raises(DataValueError, match="strictly positive"):
        scale.compute(ok, bad)


@pytest.mark.parametrize("reason", ["too-many-cells", "engine-error"])
def test_falls_back_to_separate_passes(table, monkeypatch, reason):
    if reason == "too-many-cells":
        monkeypatch.setattr(_plan, "MAX_FUSED_CELLS", 3)
    else:
        def broken(passes):
            raise RuntimeError("engine failed")

        monkeypatch.setattr(_plan, "execute_fused", broken)
    messages = []
    g, th, m = scale.compute(
        scale.gap(table, "y", "hukou", weights="w", by="year", lazy=True,
                  progress=lambda msg, sec: messages.append(msg)),
        *_job(table, lazy=True)[1:])
    g0, th0, m0 = _job(table, lazy=False)
    assert_tidy_close(g, g0, rtol=FUSED_TOL)
    assert_tidy_close(th, th0, rtol=FUSED_TOL)
    assert_tidy_close(m, m0, rtol=FUSED_TOL)
    assert any(msg.startswith("shared pass not possible") for msg in messages)


def test_different_tables_are_not_merged(engine, gappy, tmp_path, monkeypatch):
    other = gappy[0].sample(frac=0.5, random_state=3)
    other.to_parquet(tmp_path / "other.parquet")
    t1 = engine.read_parquet(gappy[1])
    t2 = engine.read_parquet(tmp_path / "other.parquet")
    seen = []
    fused = _plan.execute_fused
    monkeypatch.setattr(_plan, "execute_fused", lambda ps: seen.append(len(ps)) or fused(ps))
    a, b, c = scale.compute(scale.gap(t1, "y", "hukou", lazy=True),
                            scale.gap(t2, "y", "hukou", lazy=True),
                            scale.theil(t1, "y", lazy=True))
    assert seen == [2]  # t1's two steps shared a pass; t2's ran alone
    assert_tidy_close(a, scale.gap(t1, "y", "hukou"), rtol=FUSED_TOL)
    assert_tidy_close(b, scale.gap(t2, "y", "hukou"), rtol=FUSED_TOL)
    assert_tidy_close(c, scale.theil(t1, "y"), rtol=FUSED_TOL)


def test_later_rounds_and_follow_up_passes(table):
    # clustered Theil has a second (per-cluster) pass; HC1 OLS a residual pass
    lz = [scale.theil(table, "y", "hukou", cluster="county", lazy=True),
          scale.ols("y ~ inc", table, vcov="HC1", lazy=True),
          scale.gap(table, "y", "region", lazy=True)]
    out = scale.compute(*lz)
    assert_tidy_close(out[0], scale.theil(table, "y", "hukou", cluster="county"), rtol=FUSED_TOL)
    assert_tidy_close(out[1], scale.ols("y ~ inc", table, vcov="HC1"), rtol=FUSED_TOL)
    assert_tidy_close(out[2], scale.gap(table, "y", "region"), rtol=FUSED_TOL)


def test_combine_min_max_count_and_nan():
    cells = pd.DataFrame({"k": ["a", "a", "b"], "s": [1.0, np.nan, 2.0], "n": [2, 3, 4],
                          "lo": [0.5, 0.2, 9.0]})
    out = _plan._combine(cells.iloc[:2], ["k"], {"s": "sum", "n": "count", "lo": "min"}, None)
    assert out["n"].tolist() == [5]
    assert out["lo"].tolist() == [0.2]
    assert np.isnan(out["s"].iloc[0])  # a NaN in a cell stays NaN, as in the engine
    empty = _plan._combine(cells.iloc[:0], [], {"s": "sum", "n": "count"}, None)
    assert empty["n"].tolist() == [0] and np.isnan(empty["s"].iloc[0])


@pytest.mark.parametrize("step", ["gap", "ols"])
def test_input_checks_hold_in_a_shared_pass(engine, tmp_path, step):
    # the checks counted from flag bits (negative weights, non-integer fweights) still fire
    df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "x": [0.0, 1.0, 0.0, 1.0, 2.0, 1.0],
                       "g": ["a", "b"] * 3, "w": [1.0, 1.0, -1.0, 1.0, 1.0, 1.0],
                       "fw": [1.0, 2.0, 1.5, 1.0, 1.0, 1.0]})
    df.to_parquet(tmp_path / "w.parquet")
    t = engine.read_parquet(tmp_path / "w.parquet")
    other = scale.theil(t, "y", lazy=True)
    if step == "gap":
        bad = scale.gap(t, "y", "g", weights="w", lazy=True)
        nonint = scale.gap(t, "y", "g", weights="fw", weight_type="fweight", lazy=True)
    else:
        bad = scale.ols("y ~ x", t, weights="w", lazy=True)
        nonint = scale.ols("y ~ x", t, weights="fw", weight_type="fweight", lazy=True)
    with pytest.raises(DataValueError, match=r"(?s)'w'.*negative"):
        scale.compute(other, bad)
    with pytest.raises(DataValueError, match="whole"):
        scale.compute(scale.theil(t, "y", lazy=True), nonint)


def test_nan_values_are_dropped_as_by_the_separate_calls(engine, tmp_path, checks, monkeypatch):
    # Parquet can hold NaN (not NULL) in float columns: the separate calls drop those rows; the
    # shared pass does not look for NaN row by row, so a step whose sums meet one runs alone
    import pyarrow as pa
    import pyarrow.parquet as pq

    df = checks.make_survey(900, seed=4).dropna(subset=["y"]).reset_index(drop=True)
    inc = df["inc"].to_numpy(copy=True)
    inc[::31] = np.nan  # used by the regression only
    ccl = df["county"].to_numpy(dtype=float)
    ccl[5::41] = np.nan  # a float cluster column: Theil with cluster= never sums over it
    table = pa.table({"y": pa.array(df["y"].to_numpy()), "hukou": df["hukou"].tolist(),
                      "inc": pa.array(inc, from_pandas=False),
                      "ccl": pa.array(ccl, from_pandas=False), "w": df["w"].to_numpy()})
    assert table["inc"].null_count == 0  # NaN, not NULL
    pq.write_table(table, tmp_path / "nan.parquet")
    t = engine.read_parquet(tmp_path / "nan.parquet")
    alone = []
    single = _plan.execute
    monkeypatch.setattr(_plan, "execute", lambda p: alone.append(p.label) or single(p))
    g, th, m = scale.compute(scale.gap(t, "y", "hukou", weights="w", lazy=True),
                             scale.theil(t, "y", "hukou", cluster="ccl", lazy=True),
                             scale.ols("y ~ inc + hukou", t, weights="w", lazy=True))
    assert alone == ["ols"]  # only the regression met a NaN and ran again on its own
    monkeypatch.setattr(_plan, "execute", single)
    assert_tidy_close(g, scale.gap(t, "y", "hukou", weights="w"), rtol=FUSED_TOL)
    assert_tidy_close(th, scale.theil(t, "y", "hukou", cluster="ccl"), rtol=FUSED_TOL)
    assert_tidy_close(m, scale.ols("y ~ inc + hukou", t, weights="w"), rtol=FUSED_TOL)
    mem = df.assign(inc=inc, ccl=ccl)
    checks.same_model(m, dp.ols("y ~ inc + hukou", mem, weights="w"))
    checks.same_measure(th, dp.theil(mem, "y", "hukou", cluster="ccl"))


def _frame_with_weights(w):
    return pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "g": ["a", "b"] * 3, "w": w})


def test_parquet_statistics_answer_the_weight_check(engine, tmp_path, monkeypatch):
    # non-negative weights by the footers' minimum: the check is not run on the rows (no flag
    # column in the shared query), and the results equal the in-memory ones
    df = _frame_with_weights([1.0, 2.0, 0.5, 1.0, 3.0, 1.0])
    df.to_parquet(tmp_path / "ok.parquet")
    t = engine.read_parquet(tmp_path / "ok.parquet")
    assert _plan._parquet_min(t.expr, "w") == 0.5
    seen = []
    fused = _plan._execute_fused

    def spy(passes):
        seen.append([sorted(k for k, (kind, _) in p.aggs.items() if kind == "count_if")
                     for p in passes])
        return fused(passes)

    monkeypatch.setattr(_plan, "_execute_fused", spy)
    g, th = scale.compute(scale.gap(t, "y", "g", weights="w", lazy=True),
                          scale.theil(t, "y", weights="w", lazy=True))
    assert seen and all(names == [] for names in seen[0])
    assert_tidy_close(g, dp.gap(df, "y", "g", weights="w"), rtol=FUSED_TOL)
    assert_tidy_close(th, dp.theil(df, "y", weights="w"), rtol=FUSED_TOL)


@pytest.mark.parametrize("statistics", [True, False])
def test_negative_weights_still_refused_with_or_without_statistics(engine, tmp_path, statistics):
    import pyarrow as pa
    import pyarrow.parquet as pq

    df = _frame_with_weights([1.0, 2.0, -0.5, 1.0, 3.0, 1.0])
    path = tmp_path / f"neg_{statistics}.parquet"
    pq.write_table(pa.Table.from_pandas(df), path, write_statistics=statistics)
    t = engine.read_parquet(path)
    expected = -0.5 if statistics else None
    assert _plan._parquet_min(t.expr, "w") == expected
    for call in (lambda: scale.gap(t, "y", "g", weights="w"),
                 lambda: scale.compute(scale.gap(t, "y", "g", weights="w", lazy=True),
                                       scale.theil(t, "y", weights="w", lazy=True))):
        with pytest.raises(DataValueError, match=r"(?s)'w'.*negative"):
            call()


def test_statistics_unknown_for_other_tables(engine, tmp_path):
    # a derived table or a partition column has no footer statistics to use: the check runs
    df = _frame_with_weights([1.0, 2.0, 0.5, 1.0, 3.0, 1.0])
    df.to_parquet(tmp_path / "d.parquet")
    t = engine.read_parquet(tmp_path / "d.parquet")
    assert _plan._parquet_min(t.expr.filter(t.expr.w > 0), "w") is None
    assert _plan._parquet_min(t.expr, "g") is None  # not numeric
