"""Backend layer: connections, laziness, the demo section."""

from __future__ import annotations

import pytest

import disparity as dp
from disparity import scale
from disparity.errors import SpecificationError
from disparity.scale.demo import claims_section


def test_connect_rejects_unknown_backends():
    with pytest.raises(SpecificationError, match="duckdb"):
        scale.connect("postgres")
    with pytest.raises(SpecificationError, match="SparkSession"):
        scale.connect(42)


def test_table_wraps_names_and_expressions(engine, survey_path):
    t = engine.read_parquet(survey_path)
    engine.backend.create_view("survey_v", t.expr, overwrite=True)
    named = engine.table("survey_v")
    assert named.count() == 2400
    assert scale.table(t.expr).columns == t.columns
    assert "EngineTable on duckdb" in repr(named)
    with pytest.raises(SpecificationError, match="DataFrame"):
        engine.table(named.head(3))


def test_lazy_filter_and_select(survey_table):
    sub = survey_table.filter(survey_table.expr.year == 2019).select("y", "hukou")
    assert sub.columns == ["y", "hukou"]
    assert 0 < sub.count() < 2400


def test_demo_section(tmp_path):
    lines: list[str] = []
    fragment = claims_section(tmp_path, rows=3000, progress=lines.append)
    assert (tmp_path / "claims.parquet").exists()
    assert "SYNTHETIC" in fragment and "Theil" in fragment
    assert any("reimburses" in line for line in lines)


def test_dispatch_hook(survey, survey_table):
    from disparity._dispatch import engine_call, is_engine_table

    assert is_engine_table(survey_table) and is_engine_table(survey_table.expr)
    assert not is_engine_table(survey)
    assert engine_call("gap", survey, "y", "hukou") is NotImplemented
    r = engine_call("gap", survey_table, "y", "hukou")
    assert r.measure == "gap"
    assert engine_call("ols", "y ~ inc", survey) is NotImplemented
    assert engine_call("ols", "y ~ inc", survey_table).params.index.tolist() == ["Intercept", "inc"]


def test_public_functions_accept_engine_tables(survey, survey_table):
    """dp.gap / dp.theil / dp.gini / dp.concentration_index / dp.ols take an engine table in place of a
    DataFrame (positionally or by keyword) and give the in-memory results."""
    import numpy as np

    import disparity as dp

    for fn, args in [(dp.gap, ("y", "hukou")), (dp.theil, ("y",)), (dp.gini, ("y",)),
                     (dp.concentration_index, ("y", "inc"))]:
        eng = fn(survey_table, *args)
        mem = fn(survey, *args)
        np.testing.assert_allclose(eng.tidy()["estimate"], mem.tidy()["estimate"], rtol=1e-8)
    by_kw = dp.gini(df=survey_table, y="y")
    assert by_kw.value == pytest.approx(dp.gini(survey, "y").value, rel=1e-8)
    m_eng = dp.ols("y ~ inc", survey_table, vcov="HC1")
    m_mem = dp.ols("y ~ inc", survey, vcov="HC1")
    np.testing.assert_allclose(m_eng.params, m_mem.params, rtol=1e-8)
    np.testing.assert_allclose(m_eng.std_errors, m_mem.std_errors, rtol=1e-8)


def test_engines_register_by_type_not_by_module_name(survey):
    # a table type of another engine layer, registered by a predicate, is dispatched to its own
    # implementations; the data argument is found by name in each function's signature
    from disparity import _dispatch

    class OtherTable:
        pass

    seen = []

    def fake_gap(df, y, group, **kw):
        seen.append(("gap", y, group, kw))
        return "engine gap"

    def fake_ols(formula, data, **kw):
        seen.append(("ols", formula, kw))
        return "engine ols"

    def is_other(obj):
        return isinstance(obj, OtherTable)

    _dispatch.register_engine(is_other, {"gap": fake_gap, "ols": fake_ols})
    try:
        t = OtherTable()
        assert dp.gap(t, "y", "hukou", weights="w") == "engine gap"
        assert dp.ols("y ~ x", data=t, vcov="HC1") == "engine ols"
        assert seen == [("gap", "y", "hukou", {"weights": "w"}), ("ols", "y ~ x", {"vcov": "HC1"})]
        assert _dispatch.DISPATCHED["ols"] == 1 and _dispatch.DISPATCHED["reimburse"] == 1
        assert isinstance(dp.gap(survey, "y", "hukou"), dp.measures.MeasureResult)
        assert len(seen) == 2  # DataFrames stay in memory
        # a module name that merely looks like an engine's is not an engine table
        Fake = type("Fake", (), {"__module__": "disparity.scale.fake"})
        assert not _dispatch.is_engine_table(Fake())
    finally:
        _dispatch._ENGINES[:] = [e for e in _dispatch._ENGINES if e[0] is not is_other]
