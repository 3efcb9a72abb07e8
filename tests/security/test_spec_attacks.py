"""Report specs are untrusted: no argument a spec can set runs code, writes files or reaches pandas."""

import inspect
import json

import pytest

import disparity as dp
from disparity.errors import DisparityError, OutputExistsError, SpecificationError
from disparity.reports._specsafe import COLUMN_ARGS, METHODS
from disparity.reports.pipeline import _calls, load_analysis, run_analysis
from disparity.reports.spec import build_report, load_spec

from .conftest import ATTACK_NAMES, write_toml

FORMULA_ATTACKS = [
    "reimbursed ~ age + {open('PWNED','w')}",
    "reimbursed ~ __import__('os').system('touch PWNED')",
    "reimbursed ~ age + np.save('PWNED', age)",
    "reimbursed ~ age + age.to_csv('PWNED')",
    "reimbursed ~ age + {age.to_csv('PWNED')}",
    "reimbursed ~ age + `{open('PWNED','w')}x`",  # a quoted name that is no column
    "reimbursed ~ age + C(age, open('PWNED', 'w'))",
    "reimbursed ~ I((((9**9)**9)**9))",
    "reimbursed ~ I(9 ** 9 ** 9)",
    "reimbursed ~ (age + income + edu_years + dev + benefit_gap + weight + oop + gdp_pc) ^ 9",
    "reimbursed ~ age + [age ~ income]",  # an IV block outside dp.iv
    "reimbursed ~ lag(age, 1000)",
    "reimbursed ~ log(age) if True else 0",
    "reimbursed ~ age; import os",
    "reimbursed ~ age\n+ __builtins__",
]


def _spec(sandbox, steps, **top):
    return write_toml(sandbox / "spec.toml", {"title": "attack", "output": "out", **top},
                      {"data.d": {"path": "data.csv"}}, {"steps": steps})


def _run(path):
    return run_analysis(load_analysis(path))


FORMULA_CALLS = sorted(n for n, (_, how) in _calls().items() if how == "formula")


@pytest.mark.parametrize("call", FORMULA_CALLS)
@pytest.mark.parametrize("formula", FORMULA_ATTACKS)
def test_formula_attacks_are_refused_before_any_work(sandbox, attack_csv, call, formula):
    if call == "iv" and "[" in formula:
        formula = formula.replace("]", "] + [income ~ age]")  # two IV blocks
    path = _spec(sandbox, [{"name": "r", "call": call, "data": "d", "args": {"formula": formula}}])
    with pytest.raises(SpecificationError, match="not allowed|not a column|too many|more than"):
        _run(path)
    assert not (sandbox / "out").exists()


def _column_cases():
    for call, (fn, how) in sorted(_calls().items()):
        if how == "none":
            continue
        for p in inspect.signature(fn).parameters:
            if p in COLUMN_ARGS:
                for name in ATTACK_NAMES:
                    yield call, how, p, name


@pytest.mark.parametrize(("call", "how", "param", "name"), list(_column_cases()))
def test_column_named_by_code_is_only_a_name(sandbox, attack_csv, call, how, param, name):
    """Every argument a spec can set that names a column, with a column whose name is Python code."""
    args = {param: [name] if param in ("covariates", "indicators", "need", "nonneed", "items", "columns",
                                       "regime") else name}
    if how == "formula":
        args["formula"] = "reimbursed ~ age + income"
    if call in ("mediation",) and param != "treatment":
        args.setdefault("treatment", "age")
    if call in ("mediation",) and param != "mediator":
        args.setdefault("mediator", "dev")
    path = _spec(sandbox, [{"name": "r", "call": call, "data": "d", "args": args}])
    try:
        _run(path)
    except Exception:  # noqa: BLE001 - an unsuitable column may be refused; it must never be run
        pass
    # the sandbox fixture asserts that PWNED was not created


@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_mediator_named_by_code_works_as_a_name(sandbox, attack_csv, name):
    """The reported attack: mediation() pasted the mediator's name into a formula that was evaluated."""
    path = _spec(sandbox, [{"name": "m", "call": "mediation", "data": "d",
                            "args": {"formula": "reimbursed ~ dev + age", "treatment": "dev", "mediator": name}}])
    out = _run(path)
    spec = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["spec"]
    assert spec["steps"][0]["args"]["mediator"] == name


@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_formula_may_name_a_code_column_in_backquotes(sandbox, attack_csv, attack_frame, name):
    path = _spec(sandbox, [{"name": "m", "call": "ols", "data": "d", "args": {"formula": f"reimbursed ~ age + `{name}`"}},
                           {"table": "regression_table", "results": ["m"]}])
    _run(path)
    r = dp.ols(f"reimbursed ~ age + `{name}`", attack_frame, safe=True)
    assert name in r.params.index
    assert r.params[name] == pytest.approx(dp.ols("reimbursed ~ age + income", attack_frame).params["income"]
                                           / (1 + ATTACK_NAMES.index(name) / 10), rel=1e-9)


def test_missing_column_arguments_are_refused(sandbox, attack_csv):
    path = _spec(sandbox, [{"name": "g", "call": "gini", "data": "d", "args": {"y": "income", "weights": "nope"}}])
    with pytest.raises(SpecificationError, match="weights='nope' must name column"):
        _run(path)


def test_unknown_arguments_are_refused(sandbox, attack_csv):
    path = _spec(sandbox, [{"name": "g", "call": "gini", "data": "d", "args": {"y": "income", "path_or_buf": "x"}}])
    with pytest.raises(SpecificationError, match="not accepted by gini"):
        _run(path)


# ---------------------------------------------------------------- method = ...

def test_method_on_a_data_frame_is_refused(sandbox, attack_csv):
    """The reported attack: aggregate("to_csv", ...) on a tidy frame wrote a file anywhere."""
    path = _spec(sandbox, [
        {"name": "g", "call": "gini", "data": "d", "args": {"y": "income", "by": "urban"}},
        {"name": "t", "method": "tidy", "of": "g"},
        {"name": "w", "method": "aggregate", "of": "t", "args": {"func": "to_csv", "path_or_buf": "PWNED"}},
    ])
    with pytest.raises(SpecificationError, match="needs a disparity result"):
        _run(path)


@pytest.mark.parametrize("method", ["to_csv", "to_pickle", "__class__", "pipe", "apply", "save", "__init__"])
def test_methods_outside_the_allowlist_are_refused(sandbox, attack_csv, method):
    path = _spec(sandbox, [{"name": "g", "call": "gini", "data": "d", "args": {"y": "income"}},
                           {"name": "w", "method": method, "of": "g", "args": {}}])
    with pytest.raises(SpecificationError, match="is not allowed"):
        load_analysis(path)
    assert method not in METHODS


def test_allowlisted_methods_are_pure_accessors():
    assert METHODS == {"marginal_effects", "aggregate", "att_gt", "detail", "with_vcov", "conf_int", "tidy",
                       "radar", "pretrend_test", "glance"}
    assert not {m for m in METHODS if m.startswith(("to_", "save", "write", "_"))}


def test_allowed_method_on_a_result_still_works(sandbox, attack_csv):
    path = _spec(sandbox, [{"name": "m", "call": "ols", "data": "d", "args": {"formula": "reimbursed ~ age + income"}},
                           {"name": "ci", "method": "conf_int", "of": "m", "args": {"level": 0.9}},
                           {"table": "frame", "results": ["m"]}])
    assert (_run(path) / "manifest.json").is_file()


# ---------------------------------------------------------------- outputs

def test_output_dotdot_never_replaces_the_project_folder(tmp_path, monkeypatch):
    """The reported data loss: output = '..' replaced the spec's own project folder."""
    project = tmp_path / "thesis"
    (project / "specs").mkdir(parents=True)
    (project / "chapter3.docx").write_bytes(b"my thesis")
    dp.datasets.chifeng_survey().iloc[:200][["reimbursed", "age", "income"]].to_csv(project / "specs" / "d.csv",
                                                                                   index=False)
    spec = write_toml(project / "specs" / "spec.toml", {"title": "t", "output": ".."},
                      {"data.d": {"path": "d.csv"}},
                      {"steps": [{"name": "m", "call": "ols", "data": "d", "args": {"formula": "reimbursed ~ age"}}]})
    with pytest.raises(OutputExistsError, match="not a report made by disparity") as err:
        run_analysis(load_analysis(spec))
    assert str(project) in str(err.value)
    assert (project / "chapter3.docx").read_bytes() == b"my thesis" and spec.is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis"]


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_model_spec_output_onto_a_file_or_foreign_folder_is_refused(tmp_path, kind):
    target = tmp_path / "out"
    if kind == "file":
        target.write_text("keep me", encoding="utf-8")
    else:
        target.mkdir()
        (target / "notes.txt").write_text("keep me", encoding="utf-8")
    spec = write_toml(tmp_path / "spec.toml", {"title": "t", "output": "out"}, {"data": {"dataset": "chifeng_survey"}},
                      {"models": [{"name": "m1", "formula": "reimbursed ~ age"}]})
    with pytest.raises(OutputExistsError, match="out"):
        build_report(load_spec(spec))
    kept = target if kind == "file" else target / "notes.txt"
    assert kept.read_text(encoding="utf-8") == "keep me"


# ---------------------------------------------------------------- model-and-tables specs (spec.py)

@pytest.mark.parametrize("formula", FORMULA_ATTACKS)
def test_model_spec_formula_attacks(sandbox, attack_csv, formula):
    spec = write_toml(sandbox / "spec.toml", {"title": "t", "output": "out"}, {"data": {"path": "data.csv"}},
                      {"models": [{"name": "m1", "formula": formula}]})
    with pytest.raises(SpecificationError):
        build_report(load_spec(spec))


SPEC_COLUMN_KEYS = [
    ("models", {"name": "m1", "formula": "reimbursed ~ age"}, ["cluster", "weights"]),
    ("measures", {"name": "g", "measure": "gini", "y": "income"}, ["y", "by", "weights"]),
    ("measures", {"name": "g", "measure": "concentration_index", "y": "income", "rank": "income"}, ["rank"]),
    ("measures", {"name": "g", "measure": "theil", "y": "income"}, ["group"]),
]


@pytest.mark.parametrize(("array", "base", "keys"), SPEC_COLUMN_KEYS)
@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_model_spec_column_keys(sandbox, attack_csv, array, base, keys, name):
    for key in keys:
        spec = write_toml(sandbox / "spec.toml", {"title": "t", "output": f"out_{key}"}, {"data": {"path": "data.csv"}},
                          {array: [{**base, key: name}]})
        try:
            build_report(load_spec(spec))
        except (DisparityError, dp.errors.DisparityWarning):  # refused as unsuitable: fine; never run
            pass
        with pytest.raises(SpecificationError, match="must name column"):
            build_report(load_spec(write_toml(sandbox / "bad.toml", {"title": "t", "output": "o2"},
                                              {"data": {"path": "data.csv"}},
                                              {array: [{**base, key: name + "-missing"}]})))


def test_spec_csv_data_go_through_read_survey(sandbox):
    """A GBK-encoded CSV (as Excel in China writes them) is decoded, not read as UTF-8 or mangled."""
    import pandas as pd

    pd.DataFrame({"收入": [1.0, 2, 3, 4, 5, 6], "地区": ["城镇", "农村"] * 3, "y": [1.0, 3, 2, 5, 4, 6]}).to_csv(
        sandbox / "gbk.csv", index=False, encoding="gbk")
    spec = write_toml(sandbox / "spec.toml", {"title": "t", "output": "out"}, {"data": {"path": "gbk.csv"}},
                      {"models": [{"name": "m1", "formula": "y ~ 收入 + C(地区)"}],
                       "tables": [{"type": "regression", "models": ["m1"]}]})
    out = build_report(load_spec(spec))
    assert "收入" in (out / "tables" / "table1.md").read_text(encoding="utf-8")


# ---------------------------------------------------------------- two-way clusters (ML models)

def _logit_step(args):
    return {"name": "m", "call": "logit", "data": "d", "args": {"formula": "inpatient ~ age + income", **args}}


@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_two_way_cluster_named_by_code_is_only_a_name(sandbox, attack_csv, name):
    """cluster= of an ML model takes two column names (new this wave), in a call and in with_vcov."""
    path = _spec(sandbox, [_logit_step({"vcov": "cluster", "cluster": ["county", name]}),
                           {"name": "v", "method": "with_vcov", "of": "m",
                            "args": {"vcov": "cluster", "cluster": [name, "county"], "ssc": "cr1", "multi0": True}},
                           {"table": "regression_table", "results": ["m", "v"]}])
    out = _run(path)
    spec = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["spec"]
    assert spec["steps"][0]["args"]["cluster"] == ["county", name]


@pytest.mark.parametrize(("step", "match"), [
    (_logit_step({"vcov": "cluster", "cluster": ["county", "nope"]}), r"\['nope'\] not found"),
    (_logit_step({"vcov": "cluster", "cluster": ["county", "urban", "female"]}), "one column name or a list of two"),
])
def test_bad_two_way_cluster_columns_are_refused(sandbox, attack_csv, step, match):
    with pytest.raises(SpecificationError, match=match):
        _run(_spec(sandbox, [step]))


@pytest.mark.parametrize(("args", "match"), [
    ({"cluster": ["county", "nope"]}, "Cluster column 'nope' is not in the data"),
    ({"cluster": "county", "ssc": "__import__('os').system('touch PWNED')"}, "use one of 'ml', 'cr1', 'none'"),
    ({"cluster": "county", "multi0": "yes"}, "multi0= must be True or False"),
    ({"cluster": "county", "fix": "rm -rf /"}, "fix= must be True or False"),
])
def test_bad_with_vcov_cluster_options_are_refused(sandbox, attack_csv, args, match):
    path = _spec(sandbox, [_logit_step({}), {"name": "v", "method": "with_vcov", "of": "m",
                                             "args": {"vcov": "cluster", **args}}])
    with pytest.raises(SpecificationError, match=match):
        _run(path)
