"""Formulas: untrusted ones are parsed (never evaluated); Python-side ones are checked before evaluation."""

import time

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity.errors import DataValueError, SpecificationError
from disparity.models.formula import build_design, safe_formula

from .conftest import ATTACK_NAMES


@pytest.fixture
def df():
    rng = np.random.default_rng(3)
    n = 40
    out = pd.DataFrame({"y": rng.normal(size=n), "x": rng.uniform(1, 2, n), "z": rng.normal(size=n),
                        "r": rng.choice(["a", "b", "c"], n), "acs.46": rng.normal(size=n),
                        "年龄": rng.integers(20, 70, n).astype(float)})
    for name in ATTACK_NAMES:
        out[name] = rng.normal(size=n)
    return out


PYTHON_ATTACKS = [
    "y ~ x + {open('PWNED','w').write('x') or x}",  # the reported one: truncated the file, then raised
    "y ~ x + open('PWNED', 'w')",
    "y ~ x + {__import__('os').system('touch PWNED')}",
    "y ~ x + np.save('PWNED', x)",
    "y ~ x + {x.to_csv('PWNED')}",
    "y ~ x + {x.__class__.__init__.__globals__}",
    "y ~ x + {(lambda: open('PWNED', 'w'))()}",
    "y ~ x + {[open('PWNED', 'w') for _ in 'a']}",
    "y ~ x + {getattr(x, 'to_csv')('PWNED')}",
    "y ~ x + {eval(\"open('PWNED','w')\")}",
    "y ~ x + {exec(\"open('PWNED','w')\")}",
    "y ~ x + {(f := open('PWNED', 'w'))}",
    "y ~ x + np.lib.npyio.save('PWNED', x)",
    "y ~ x + {np.savetxt('PWNED', x)}",
    "y ~ x + {x.pipe(open, 'w')}",
]


@pytest.mark.parametrize("formula", PYTHON_ATTACKS)
@pytest.mark.parametrize("safe", [False, True])
def test_python_side_formulas_are_checked_before_evaluation(sandbox, df, formula, safe):
    (sandbox / "PWNED").write_text("precious", encoding="utf-8") if "write" in formula else None
    with pytest.raises(SpecificationError):
        dp.ols(formula.replace("PWNED", "PWNED2"), df, safe=safe)
    assert not (sandbox / "PWNED2").exists()
    if "write" in formula:
        (sandbox / "PWNED").unlink()


def test_reported_truncation_attack_leaves_the_file_alone(tmp_path, monkeypatch, df):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p").write_text("my data", encoding="utf-8")
    with pytest.raises(SpecificationError, match="nothing was evaluated"):
        dp.ols("y ~ x + {open('p','w').write('x') or x}", df)
    assert (tmp_path / "p").read_text(encoding="utf-8") == "my data"


@pytest.mark.parametrize("formula", [
    "y ~ I((((9**9)**9)**9))",
    "y ~ I((((9**9)**9)**9)**9)",
    "y ~ I(9 ** 9 ** 9)",
    "y ~ x + I(2 ** (2 ** 64))",
    "y ~ I(x ** (9 ** 9 ** 9))",
])
@pytest.mark.parametrize("safe", [False, True])
def test_huge_constant_powers_are_refused_at_once(df, formula, safe):
    t0 = time.perf_counter()
    with pytest.raises(SpecificationError, match="exponents|constant this large"):
        dp.ols(formula, df, safe=safe)
    assert time.perf_counter() - t0 < 5  # generous: the refusal is a parse, not a computation


def test_interaction_explosion_is_refused(df):
    cols = " + ".join(f"v{i}" for i in range(40))
    wide = pd.DataFrame({f"v{i}": np.arange(3.0) for i in range(40)})
    with pytest.raises(SpecificationError, match="more than 2,000 terms"):
        safe_formula(f"y ~ ({cols}) ^ 3", [*wide.columns, "y"])
    with pytest.raises(SpecificationError, match="exponents must be whole numbers from 1 to 3"):
        safe_formula("y ~ (x + z) ^ 4", ["y", "x", "z"])


def test_deep_nesting_is_a_specification_error(df):
    with pytest.raises(SpecificationError, match="nested"):
        safe_formula("y ~ " + "log(" * 200 + "x" + ")" * 200, df.columns)
    with pytest.raises(SpecificationError, match="nested|not a valid expression"):
        dp.ols("y ~ " + "log(" * 3000 + "x" + ")" * 3000, df)
    with pytest.raises(SpecificationError, match="nested"):
        dp.ols("y ~ " + "(" * 1000 + "x" + ")" * 1000, df, safe=True)


@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_a_column_named_by_code_is_just_a_name(sandbox, df, name):
    for safe in (False, True):
        r = dp.ols(f"y ~ x + `{name}`", df, safe=safe)
        assert name in r.params.index
        ref = np.linalg.lstsq(np.column_stack([np.ones(len(df)), df["x"], df[name]]), df["y"], rcond=None)[0]
        assert r.params[name] == pytest.approx(ref[2], rel=1e-10)


# ---------------------------------------------------------------- issue 19: any column name

@pytest.mark.parametrize("safe", [False, True])
def test_backquoted_and_q_names(df, safe):
    X = np.column_stack([np.ones(len(df)), df["acs.46"], df["年龄"]])
    ref = np.linalg.lstsq(X, df["y"], rcond=None)[0]
    r = dp.ols("y ~ `acs.46` + `年龄`", df, safe=safe)
    assert r.params[["acs.46", "年龄"]].to_numpy() == pytest.approx(ref[1:], rel=1e-10)
    q = dp.ols('y ~ Q("acs.46") + 年龄', df, safe=safe)
    assert q.params.iloc[1:].to_numpy() == pytest.approx(ref[1:], rel=1e-10)
    lg = dp.ols("y ~ log(`年龄`) + I(`acs.46` ** 2)", df, safe=safe)
    X2 = np.column_stack([np.ones(len(df)), np.log(df["年龄"]), df["acs.46"] ** 2])
    assert lg.params.to_numpy() == pytest.approx(np.linalg.lstsq(X2, df["y"], rcond=None)[0], rel=1e-10)


def test_backquoted_outcome_and_logit(df):
    d = df.assign(**{"y.bin": (df["y"] > 0).astype(float)})
    r = dp.logit("`y.bin` ~ `acs.46` + x", d, safe=True)
    assert list(r.params.index) == ["Intercept", "acs.46", "x"]


# ---------------------------------------------------------------- existing formulas keep working

@pytest.mark.parametrize("formula", [
    "y ~ C(r)", "y ~ np.log(x)", "y ~ I(x**2)", "y ~ center(x)", "y ~ x * z", "y ~ x:z + x",
    "y ~ scale(x) + C(r) * z", "y ~ {x ** 2}", "y ~ np.sqrt(x) + np.exp(z)", "y ~ log(x) + sqrt(x) + abs(z)",
    "y ~ C(r, contr.treatment('b'))", "y ~ poly(x, 2)", "y ~ I((x - 1) / 10)", "y ~ x - 1", "y ~ 0 + x",
])
def test_python_formulas_of_today_still_work(df, formula):
    r = dp.ols(formula, df)
    assert np.isfinite(r.params).all() and r.nobs == len(df)


@pytest.mark.parametrize("formula", [
    "y ~ x + C(r)", "y ~ x * z - 1", "y ~ log(x) + I(x ** 2) + I((x - 1) / 10)", "y ~ (x + z + r) ^ 2",
    "y ~ center(x) + standardize(z) + x:C(r)", "y ~ I(x ** -2) + I(-x) + exp(z / 10)", "y ~ 0 + x / z",
])
def test_safe_text_gives_the_same_design_as_formulaic(df, formula):
    a = build_design(formula, df)
    b = build_design(formula, df, safe=True)
    assert list(a.X.columns) == list(b.X.columns)
    assert np.array_equal(a.X.to_numpy(), b.X.to_numpy()) and np.array_equal(a.y.to_numpy(), b.y.to_numpy())


# ---------------------------------------------------------------- text-stored numbers

def test_numbers_stored_as_text_are_refused_with_the_fix(df):
    d = df.assign(income=df["x"].map(lambda v: f"{v * 1000:.1f}"))
    with pytest.raises(DataValueError, match=r"numbers stored as text.*pd\.to_numeric.*C\(income\)"):
        dp.ols("y ~ x + income", d)
    with pytest.raises(DataValueError, match="stored as text"):
        dp.ols("y ~ log(income)", d, safe=True)
    fixed = d.assign(income=pd.to_numeric(d["income"]))
    X = np.column_stack([np.ones(len(d)), fixed["income"]])
    assert dp.ols("y ~ income", fixed).params["income"] == pytest.approx(
        np.linalg.lstsq(X, d["y"], rcond=None)[0][1], rel=1e-10)
    d2 = d.astype({"income": "string"})
    with pytest.raises(DataValueError, match="40 values|stored as text"):
        dp.ols("y ~ income", d2)
    # category codes stay possible when asked for, and plain text categories are untouched
    assert dp.ols("y ~ C(r)", d).nobs == len(d)


def test_text_numbers_with_a_few_non_numbers_say_how_to_coerce(df):
    vals = [f"{v:.3f}" for v in df["x"]]
    vals[3] = "missing"
    with pytest.raises(DataValueError, match="errors='coerce'"):
        dp.ols("y ~ income", df.assign(income=vals))
