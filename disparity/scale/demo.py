"""A short claims-scale section for ``disparity demo`` (wired in by the CLI).

Writes SYNTHETIC claims to Parquet, reads them lazily with embedded DuckDB and runs the
claims-scale path: benefit microsimulation, urban-rural gap, Theil decomposition and a
cluster-robust regression. Returns an HTML fragment for the demo report.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["claims_section"]

DEMO_ROWS = 200_000


def claims_section(out: str | Path, *, rows: int = DEMO_ROWS,
                   progress: Callable[[str], None] = print) -> str:
    """Run the claims-scale demo, writing ``out/claims.parquet``; return an HTML fragment.

    Without the ``scale`` extra (Ibis + DuckDB) the section says how to install it instead.
    """
    try:
        import duckdb  # noqa: F401
        import ibis  # noqa: F401
    except ImportError:
        note = ("claims-scale section skipped: install the 'scale' extra "
                "(pip install 'disparity[scale]').")
        progress(note)
        return f"<h2>Claims scale (DuckDB)</h2><p>{html.escape(note)}</p>"
    from .. import benefits
    from . import compute, connect, gap, ols, reimburse, theil
    from .synthetic import synthetic_claims

    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "claims.parquet"
    synthetic_claims(rows, seed=7).to_parquet(path, index=False)
    progress(f"claims scale: wrote {rows:,} SYNTHETIC claims to {path}")
    engine = connect("duckdb")
    claims = engine.read_parquet(path)
    schedule = benefits.load_schedule("illustrative_urbmi_2015")
    sim = reimburse(schedule, claims, person="person_id", cost="cost", scope_share="scope_share",
                    level="level", group="group", setting="setting", area="area", year="year",
                    order=["day", "claim_id"])
    totals = sim.tidy()
    progress(f"claims scale: {schedule.name} reimburses {sim.effective_rate:.1%} of cost "
             "(per-person annual accumulation by window functions in DuckDB)")
    # three analyses, one scan of the table: lazy calls computed together
    g, th, m = compute(
        gap(claims, "reimbursed", "hukou", weights="weight", by="year", lazy=True),
        theil(claims, "reimbursed", "hukou", weights="weight", lazy=True),
        ols("reimb_rate ~ urban + log(income) + age + C(level)", claims, weights="weight",
            vcov="cluster", cluster="county", lazy=True),
    )
    progress(f"claims scale: Theil {float(th):.4f} (between urban/rural {float(th.between.value):.4f}); "
             f"urban effect on the effective rate {m.params['urban']:.4f} "
             f"(CRV1 s.e. {m.std_errors['urban']:.4f}); {time.perf_counter() - t0:.1f} s")
    return "\n".join([
        "<h2>Claims scale: the same analyses in an engine (DuckDB)</h2>",
        f"<p><strong>SYNTHETIC</strong> claims ({rows:,} rows, <code>{html.escape(str(path))}</code>), "
        "read lazily with <code>dp.scale.read_parquet</code>; only sufficient statistics leave the "
        "engine. Replace the path with a folder of real settlement files (hive-partitioned "
        "Parquet) or pass a Spark session to <code>dp.scale.connect</code>. The gap, the Theil "
        "decomposition and the regression below were computed together by "
        "<code>dp.scale.compute</code> from one scan of the table.</p>",
        f"<h3>Microsimulation under {html.escape(schedule.name)}</h3>",
        totals.to_html(index=False, float_format=lambda v: f"{v:,.4f}"),
        "<h3>Urban-rural gap in reimbursement per claim (weighted, by year)</h3>",
        g.tidy().to_html(index=False, float_format=lambda v: f"{v:,.4f}"),
        "<h3>Theil index, urban/rural decomposition</h3>",
        th.tidy().to_html(index=False, float_format=lambda v: f"{v:,.5f}"),
        "<h3>WLS of the effective rate, CRV1 standard errors by county</h3>",
        m.tidy().to_html(index=False, float_format=lambda v: f"{v:,.5f}"),
    ])
