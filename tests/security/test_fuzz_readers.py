"""Fuzzing the file readers: damaged copies of the bundled files (issue 16 item 8, reader part).

Every bundled .dta, .sav, .xlsx and .xls file (and a real NBS CSV export) is copied with bytes flipped (a few random bytes,
half of the cases inside the header where the structure lives) and truncated (at random points and
at every early offset that cuts a header field). Each copy must either read or be refused with
:class:`~disparity.errors.DataFormatError` or :class:`~disparity.errors.EncodingError` (for
``read_yearbook`` also :class:`~disparity.errors.YearbookLayoutError`, when the damage lands in a
cell): never another exception, a crash or a hang. Each case runs in a forked worker process with
a time limit (:data:`CASE_SECONDS`), so a hang or a crash in a C or Rust reader fails the test
instead of stopping the suite. The mutations are drawn from a fixed seed, so a failure names a
case that can be replayed.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import traceback
from pathlib import Path

import pytest

import disparity as dp

ROOT = Path(__file__).resolve().parents[2]
#: A case that takes longer than this is a hang (the largest bundled file reads in ~0.3 s).
CASE_SECONDS = 20.0
#: Byte-flip and truncation cases per file: enough to hit every section of these small files.
N_FLIPS = 120
N_CUTS = 60
SEED = 20261201

FILES = {
    "chifeng_survey.dta": "survey",
    "chifeng_survey_v117_gbk.dta": "survey",
    "chifeng_survey.sav": "survey",
    "province_panel_yearbook.xlsx": "both",
}
XLS = ROOT / "tests" / "io" / "fixtures" / "nbs_regions_by_indicators_2023.xls"
NBS_CSV = ROOT / "tests" / "io" / "fixtures" / "real" / "nbs_export_prov_gdp_by_sector_2023.csv"
ALLOWED_SURVEY = (dp.DataFormatError, dp.EncodingError)
ALLOWED_YEARBOOK = (dp.DataFormatError, dp.EncodingError, dp.YearbookLayoutError)


def _source(name: str) -> Path:
    return {XLS.name: XLS, NBS_CSV.name: NBS_CSV}.get(name) or dp.datasets.path(name)


def _run_case(conn) -> None:
    """Worker loop: read each path it is sent and report how the readers ended."""
    while True:
        job = conn.recv()
        if job is None:
            return
        path, which = job
        out = []
        for reader, allowed in (("survey", ALLOWED_SURVEY), ("yearbook", ALLOWED_YEARBOOK)):
            if which not in (reader, "both"):
                continue
            try:
                (dp.read_survey if reader == "survey" else dp.read_yearbook)(path)
                out.append((reader, "ok", ""))
            except allowed as err:
                out.append((reader, "refused", type(err).__name__))
            except BaseException as err:  # noqa: BLE001  (anything else is the failure this test looks for)
                out.append((reader, "BAD", "".join(traceback.format_exception(err))[-3000:]))
        conn.send(out)


class _Worker:
    def __init__(self):
        self.ctx = mp.get_context("fork")
        self._start()

    def _start(self):
        self.conn, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=_run_case, args=(child,), daemon=True)
        self.proc.start()

    def run(self, path: Path, which: str):
        self.conn.send((str(path), which))
        if not self.conn.poll(CASE_SECONDS):
            self.proc.kill()
            self.proc.join()
            self._start()
            return [("any", "BAD", f"no answer within {CASE_SECONDS} s (a hang)")]
        try:
            return self.conn.recv()
        except EOFError:
            code = self.proc.exitcode
            self.proc.join()
            self._start()
            return [("any", "BAD", f"the reader crashed the process (exit code {code})")]

    def close(self):
        self.conn.send(None)
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()


@pytest.fixture(scope="module")
def worker():
    w = _Worker()
    yield w
    w.close()


def _mutations(data: bytes, rng: random.Random):
    n = len(data)
    head = min(n, 1024)
    for k in range(N_FLIPS):
        b = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(head) if k % 2 == 0 else rng.randrange(n)
            b[i] ^= 1 << rng.randrange(8) if rng.random() < 0.7 else rng.randrange(1, 256)
        yield f"flip{k}", bytes(b)
    cuts = sorted({0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, n - 1, *(rng.randrange(n) for _ in range(N_CUTS))})
    for c in cuts:
        yield f"cut{c}", data[:c]


@pytest.mark.parametrize("name", [*FILES, XLS.name, NBS_CSV.name])
def test_damaged_copies_are_read_or_refused_cleanly(tmp_path, worker, name):
    which = FILES.get(name, "yearbook" if name == NBS_CSV.name else "both")
    src = _source(name)
    data = src.read_bytes()
    rng = random.Random(f"{SEED}:{name}")
    bad, outcomes = [], {"ok": 0, "refused": 0}
    for label, blob in _mutations(data, rng):
        p = tmp_path / f"{label}{src.suffix}"
        p.write_bytes(blob)
        for reader, status, detail in worker.run(p, which):
            if status == "BAD":
                bad.append(f"{name} {label} ({reader}): {detail}")
            else:
                outcomes[status] += 1
        assert p.read_bytes() == blob  # a reader never writes to its input
        p.unlink()
    assert not bad, "\n\n".join(bad[:5]) + f"\n\n({len(bad)} bad cases in all)"
    # the damage is real: most truncated and many flipped copies are refused
    assert outcomes["refused"] >= N_CUTS // 2, outcomes
