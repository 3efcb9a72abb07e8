"""Extract Stata 13 output stored by linearmodels into JSON, and its data sets into CSV.

linearmodels (bashtage/linearmodels, commit recorded in ``SOURCE``) keeps the do-file generators
(``execute-stata*.py``), the raw Stata output printed by ``estout`` with 12 significant digits and the
data the runs used. This script reads those files from a local copy of the repository and writes

* ``stata_iv.json``     every ``ivregress`` run (simulated data and the ``hsng`` housing data):
  coefficients ``b``, t statistics ``t``, scalar results (``r2 rss rmse kappa J F chi2 p``), ``e(V)``
  and, for GMM, ``e(W)``;
* ``stata_panel.json``  every ``xtreg``/``regress`` run on the simulated panel;
* ``iv_simulated.csv``, ``iv_housing.csv``, ``panel_simulated.csv``: the data (17 significant digits).

Usage: ``python extract_stata.py /path/to/linearmodels/checkout``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pandas as pd

SOURCE = "bashtage/linearmodels@2ce5503d20144e04812420601cec78af636b836c"
HERE = Path(__file__).resolve().parent
HEADER = re.compile(r"^#+\s*!(.+?)!\s*#+$")


def _num(s: str) -> float | None:
    s = s.strip()
    return float(s) if s not in ("", ".") else None


def parse(text: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    blocks = []
    for line in text.splitlines():
        m = HEADER.match(line.strip())
        if m:
            blocks.append((m.group(1), []))
        elif blocks:
            blocks[-1][1].append(line)
    for name, lines in blocks:
        res: dict = {"b": {}, "t": {}, "p_coef": {}, "stats": {}}
        i = 0
        # coefficient section: "name\tb" then one or two continuation lines "\tt" ("\tp")
        while i < len(lines) and not lines[i].startswith("*****"):
            parts = lines[i].split("\t")
            if len(parts) == 2 and parts[0] and parts[0] not in (".",):
                key, val = parts[0], _num(parts[1])
                cont = []
                j = i + 1
                while j < len(lines) and lines[j].startswith("\t") and lines[j].count("\t") == 1:
                    cont.append(_num(lines[j][1:]))
                    j += 1
                if cont:
                    res["b"][key] = val
                    res["t"][key] = cont[0]
                    if len(cont) > 1:
                        res["p_coef"][key] = cont[1]
                elif key not in res["stats"]:  # Stata prints 'p' twice in some runs: keep the first
                    res["stats"][key] = val
                i = j
            else:
                i += 1
        mats = {}
        while i < len(lines):
            if lines[i].startswith("*****"):
                label = "V" if "Variance" in lines[i] else "W"
                cols = lines[i + 2].split("\t")[1:]
                cols = [c for c in cols if c]
                rows = []
                j = i + 3
                while j < len(lines) and lines[j].strip() and not lines[j].startswith("*****"):
                    rows.append([_num(v) for v in lines[j].split("\t")[1 : len(cols) + 1]])
                    j += 1
                mats[label] = {"names": cols, "values": rows}
                i = j
            else:
                i += 1
        res.update(mats)
        out[name] = res
    return out


def main(repo: Path) -> None:
    tests = repo / "linearmodels" / "tests"
    iv = parse((tests / "iv/results/stata-iv-simulated-results.txt").read_text())
    housing = parse((tests / "iv/results/stata-iv-housing-results.txt").read_text())
    panel = parse((tests / "panel/results/stata-panel-simulated-results.txt").read_text())
    meta = {"source": SOURCE, "stata": "Stata 13 (StataMP-64), estout %13.12g"}
    (HERE / "stata_iv.json").write_text(
        json.dumps({"meta": meta, "simulated": iv, "housing": housing}, indent=0)
    )
    (HERE / "stata_panel.json").write_text(json.dumps({"meta": meta, "runs": panel}, indent=0))
    sim = pd.read_stata(tests / "iv/results/simulated-data.dta")
    sim.drop(columns=["index"]).to_csv(HERE / "iv_simulated.csv", index=False, float_format="%.17g")
    pd.read_csv(tests / "iv/results/housing.csv", index_col=0).to_csv(
        HERE / "iv_housing.csv", index=False, float_format="%.17g"
    )
    pan = pd.read_stata(tests / "panel/results/simulated-panel.dta")
    # The entity is ``firm`` ("firm.0001", ...): 1,000 firms x 3 years, as Stata's N_g says.
    pan = pan.assign(firm=pan["firm"].str.replace("firm.", "", regex=False).astype(int))
    keep = ["firm", "time", "w", "y", "x1", "x2", "x3", "x4", "x5"]
    keep += [f"{v}_{m}" for m in ("light", "heavy") for v in ("y", "x1", "x2", "x3", "x4", "x5")]
    pan = pan[keep].assign(time=pan["time"].dt.year)
    pan.to_csv(HERE / "panel_simulated.csv", index=False, float_format="%.17g")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
