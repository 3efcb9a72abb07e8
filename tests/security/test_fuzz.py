"""Hypothesis fuzzing of the formula grammar and the spec loaders.

Random token soup and random column names never evaluate anything (no marker file appears) and
never raise anything but SpecificationError from the parsers; what the grammar accepts builds a
design or fails with a DisparityError.
"""

import contextlib
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import disparity as dp
from disparity.errors import DisparityError, SpecificationError
from disparity.models.formula import build_design, quote_name, safe_formula
from disparity.reports.pipeline import load_analysis
from disparity.reports.spec import load_spec

from .conftest import write_toml

COLUMNS = ["y", "x", "z", "r", "acs.46", "年龄"]
TOKENS = ["y", "x", "z", "r", "`acs.46`", "年龄", "`年龄`", "Q('acs.46')", "~", "+", "-", "*", "/", ":", "^", "**",
          "(", ")", ",", "[", "]", "0", "1", "2", "3", "10", "1e3", "0.5", "-1", "log", "exp", "sqrt", "abs", "C",
          "I", "Q", "center", "scale", "standardize", "lag", "np", ".", "{", "}", "'", '"', "`", ";", "\n",
          "open('PWNED','w')", "__import__", "os", "system", "lambda", "=", "eval", "exec", "x.to_csv('PWNED')",
          "9**9**9", "__class__", "[x for x in 'a']", ":=", "if", "else", "getattr"]

rng = np.random.default_rng(11)
FRAME = pd.DataFrame({"y": rng.normal(size=30), "x": rng.uniform(1, 2, 30), "z": rng.normal(size=30),
                      "r": rng.choice(["a", "b"], 30), "acs.46": rng.uniform(1, 3, 30),
                      "年龄": rng.integers(20, 60, 30).astype(float)})
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@contextlib.contextmanager
def _sandbox():
    old = os.getcwd()
    with tempfile.TemporaryDirectory() as d:
        os.chdir(d)
        try:
            yield Path(d)
            assert not (Path(d) / "PWNED").exists(), "a formula ran code"
        finally:
            os.chdir(old)


soup = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=14).map(" ".join) | \
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=14).map("".join)


@SETTINGS
@given(soup)
def test_token_soup_through_the_safe_grammar(text):
    with _sandbox(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            quoted = safe_formula(text, COLUMNS)
        except SpecificationError:
            return
        assert safe_formula(quoted, COLUMNS) == quoted  # the rendered text is a fixed point
        try:
            build_design(quoted, FRAME)
        except DisparityError:
            pass


@SETTINGS
@given(soup)
def test_token_soup_through_python_side_formulas(text):
    """Trusted callers' formulas: whatever is refused is refused before evaluation, as a DisparityError."""
    with _sandbox(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            build_design(text, FRAME)
        except DisparityError:
            pass


# a backquote cannot appear in any formulaic formula; quote_name refuses such names (tested below)
names = st.text(min_size=1, max_size=10).filter(
    lambda s: "`" not in s and not s.endswith("\\") and s not in ("y", "Intercept"))


@SETTINGS
@given(names)
def test_any_column_name_is_only_a_name(name):
    with _sandbox(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = FRAME[["y", "x"]].assign(**{name: FRAME["z"]})
        text = f"y ~ {quote_name(name)}"
        assert safe_formula(text, df.columns) == text
        for safe in (False, True):
            r = dp.ols(text, df, safe=safe)
            assert r.params.index[0] == "Intercept" and r.params.index[1] in (name, quote_name(name))
            X = np.column_stack([np.ones(len(df)), FRAME["z"]])
            assert np.isclose(r.params.iloc[1], np.linalg.lstsq(X, FRAME["y"], rcond=None)[0][1], rtol=1e-10)


def test_a_backquote_in_a_column_name_is_refused_with_advice():
    import pytest

    for bad in ("a`b", "a\\"):
        with pytest.raises(SpecificationError, match="rename the column"):
            quote_name(bad)


@SETTINGS
@given(names, soup)
def test_random_names_with_token_soup(name, text):
    with _sandbox():
        try:
            safe_formula(f"y ~ {quote_name(name)} {text}", [*COLUMNS, name])
        except SpecificationError:
            pass


values = st.recursive(
    st.booleans() | st.integers(-10**6, 10**6) | st.sampled_from(TOKENS) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "y", "formula"]), inner,
                                                                  max_size=3),
    max_leaves=6,
)
STEP_KEYS = ["name", "call", "method", "of", "table", "figure", "data", "results", "tidy", "args", "caption",
             "section", "text", "bogus"]


@SETTINGS
@given(st.lists(st.dictionaries(st.sampled_from(STEP_KEYS), values, max_size=5), max_size=3),
       st.dictionaries(st.sampled_from(["dataset", "path", "from", "where", "codes", "index", "x"]), values,
                       max_size=3))
def test_random_analysis_specs_raise_only_specification_errors(steps, data):
    with _sandbox() as d:
        steps = [{k: v for k, v in s.items() if not (k == "args" and not isinstance(v, dict))} for s in steps]
        path = write_toml(d / "s.toml", {"title": "t"}, {"data.d": data} if data else {}, {"steps": steps})
        try:
            load_analysis(path)
        except SpecificationError:
            pass


MODEL_KEYS = ["name", "estimator", "formula", "vcov", "cluster", "weights", "weight_type", "reps", "x"]


@SETTINGS
@given(st.lists(st.dictionaries(st.sampled_from(MODEL_KEYS), values, max_size=5), max_size=3),
       st.sampled_from(["chifeng_survey", "nope", 3]))
def test_random_model_specs_raise_only_specification_errors(models, dataset):
    with _sandbox() as d:
        path = write_toml(d / "s.toml", {"title": "t"}, {"data": {"dataset": dataset}}, {"models": models})
        try:
            load_spec(path)
        except SpecificationError:
            pass


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["y ~ x + ", "y ~ log(", "y ~ I(x ** ", "y ~ C("]), soup)
def test_fuzzed_specs_never_run_code_end_to_end(prefix, text):
    """Whole spec builds with fuzzed formulas: refused with SpecificationError, or built; never run."""
    from disparity.reports.pipeline import run_analysis

    with _sandbox() as d:
        FRAME.to_csv(d / "data.csv", index=False)
        path = write_toml(d / "s.toml", {"title": "t", "output": "out"}, {"data.d": {"path": "data.csv"}},
                          {"steps": [{"name": "m", "call": "ols", "data": "d", "args": {"formula": prefix + text}}]})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                run_analysis(load_analysis(path))
            except SpecificationError:
                return
            except DisparityError:
                return
        assume(True)


ITEM_KEYS = ["type", "models", "measures", "measure", "name", "y", "by", "weights", "columns", "group", "labels",
             "digits", "title", "x", "region", "value", "rank", "stats", "notes", "epsilon"]


@SETTINGS
@given(st.lists(st.dictionaries(st.sampled_from(ITEM_KEYS), values, max_size=5), max_size=2),
       st.lists(st.dictionaries(st.sampled_from(ITEM_KEYS), values, max_size=5), max_size=2),
       st.lists(st.dictionaries(st.sampled_from(ITEM_KEYS), values, max_size=5), max_size=2),
       st.dictionaries(st.sampled_from(["title", "lang", "output", "seed", "text"]), values, max_size=3))
def test_random_measure_table_figure_specs_raise_only_specification_errors(measures, tables, figures, top):
    with _sandbox() as d:
        path = write_toml(d / "s.toml", top, {"data": {"dataset": "chifeng_survey"}},
                          {"measures": measures, "tables": tables, "figures": figures})
        try:
            load_spec(path)
        except SpecificationError:
            pass


def test_a_column_named_dot_is_one_column_not_all_of_them():
    # Hypothesis found it: formulaic reads `.` as "every other column"
    import numpy as np
    import pandas as pd

    import disparity as dp
    from disparity.models._grammar import quote_name

    assert quote_name(".") == "Q('.')"
    df = pd.DataFrame({"y": np.arange(10.0), ".": np.r_[1.0, 3, 2, 5, 4, 6, 8, 7, 9, 11],
                       "z": np.r_[0.0, 1, 0, 1, 1, 0, 1, 0, 1, 1]})
    res = dp.ols(f"y ~ {quote_name('.')}", df)
    assert len(res.params) == 2
