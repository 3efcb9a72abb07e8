"""Helpers for the adversarial tests: a sandbox folder, attack column names, spec writing."""

import json
from pathlib import Path

import pandas as pd
import pytest

import disparity as dp

#: Column *names* that are Python code; a formula that evaluated them would create PWNED.
ATTACK_NAMES = [
    "{open('PWNED','w')}",
    "__import__('os').system('touch PWNED')",
    "x.to_csv('PWNED')",
]


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """Work in an empty folder; fail if anything made the marker file PWNED there."""
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    assert not (tmp_path / "PWNED").exists(), "an attack ran code"


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


def write_toml(path: Path, top: dict, tables: dict | None = None, arrays: dict | None = None) -> Path:
    lines = [f"{k} = {toml_value(v)}" for k, v in top.items()]
    for name, table in (tables or {}).items():
        lines.append(f"\n[{name}]")
        lines += [f"{json.dumps(k, ensure_ascii=False)} = {toml_value(v)}" for k, v in table.items()]
    for name, items in (arrays or {}).items():
        for item in items:
            lines.append(f"\n[[{name}]]")
            lines += [f"{json.dumps(k, ensure_ascii=False)} = {toml_value(v)}" for k, v in item.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def attack_frame() -> pd.DataFrame:
    """300 survey rows, codes for categoricals, plus numeric columns named by ATTACK_NAMES."""
    df = dp.datasets.chifeng_survey().iloc[:300].copy()
    for col in ("urban", "support", "female", "chronic", "inpatient", "satisfaction", "health", "scheme"):
        df[col] = df[col].cat.codes.astype(float)
    df["county"] = df["county"].astype(str)
    for k, name in enumerate(ATTACK_NAMES):
        df[name] = df["income"] * (1 + k / 10)
    return df


@pytest.fixture
def attack_csv(sandbox, attack_frame) -> Path:
    path = sandbox / "data.csv"
    attack_frame.to_csv(path, index=False)
    return path
