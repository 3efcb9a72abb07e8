"""Types are checked in CI (issue 18 item 7): `make test` runs mypy between ruff and pytest, the dev
extra installs it, and the options of public functions are `Literal` types whose values are the ones
the boundary check accepts."""

from __future__ import annotations

import inspect
import re
import tomllib
import types
import typing
from pathlib import Path

import pytest

import disparity as dp
from disparity import scale
from disparity._options import BOOT_WEIGHTS, FEW_CLUSTERS_KINDS
from disparity.errors import SpecificationError

ROOT = Path(__file__).resolve().parents[1]
#: keyword options that take one of a fixed set of strings wherever they appear
OPTIONS = ("few_clusters", "boot_weights", "se", "weight_type", "vcov", "ssc")


def _recipe(target: str) -> list[str]:
    text = (ROOT / "Makefile").read_text()
    body = re.search(rf"^{target}:[^\n]*\n((?:\t[^\n]*\n)+)", text, re.M)
    assert body, f"no {target} target in the Makefile"
    return [line.strip() for line in body.group(1).splitlines()]


def test_make_test_runs_mypy_after_ruff_before_pytest() -> None:
    steps = _recipe("test")
    tools = [next((t for t in ("ruff", "MYPY", "mypy", "pytest") if t in s), s) for s in steps]
    assert [t.lower() for t in tools] == ["ruff", "mypy", "pytest"], steps
    assert "--cache-dir $(VENV)/" in (ROOT / "Makefile").read_text()


def test_dev_extra_pins_type_checker_minimums() -> None:
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    for pkg in ("mypy", "pandas-stubs"):
        assert any(re.fullmatch(rf"{pkg}>=\d+(\.\d+)*", d) for d in dev), (pkg, dev)
    assert (ROOT / "disparity" / "py.typed").is_file()


def _public_functions() -> list[tuple[str, object]]:
    out = []
    for mod, prefix in ((dp, "dp"), (scale, "dp.scale")):
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if inspect.isfunction(obj):
                out.append((f"{prefix}.{name}", obj))
    return out


def _literal_args(hint: object) -> tuple | None:
    if typing.get_origin(hint) is typing.Literal:
        return typing.get_args(hint)
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        parts = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(parts) == 1:
            return _literal_args(parts[0])
    return None


def test_public_options_are_literal_types() -> None:
    plain = []
    checked = 0
    for qual, fn in _public_functions():
        hints = typing.get_type_hints(fn)
        for opt in OPTIONS:
            if opt in inspect.signature(fn).parameters and opt in hints:
                checked += 1
                if _literal_args(hints[opt]) is None:
                    plain.append(f"{qual}({opt}: {hints[opt]})")
    assert checked > 50
    assert plain == []


@pytest.mark.parametrize("fn", [dp.ols, dp.panel, scale.ols])
def test_few_clusters_and_boot_weights_literals_match_the_checks(fn) -> None:
    hints = typing.get_type_hints(fn)
    assert _literal_args(hints["few_clusters"]) == FEW_CLUSTERS_KINDS == ("wild", "analytic")
    assert _literal_args(hints["boot_weights"]) == BOOT_WEIGHTS == ("rademacher", "webb")


def test_boundary_check_lists_allowed_values() -> None:
    df = dp.datasets.chifeng_survey()
    with pytest.raises(SpecificationError, match="'wild', 'analytic'"):
        dp.ols("income ~ age", df, vcov="cluster", cluster="county", few_clusters="bootstrap")
    with pytest.raises(SpecificationError, match="'rademacher', 'webb'"):
        dp.ols("income ~ age", df, vcov="wild", cluster="county", boot_weights="mammen")
