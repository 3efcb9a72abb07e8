"""Labelled int16/int32 Stata codes are read into int8 while they fit, and widened back when not.

pyreadstat writes value-labelled int8 data as int32 (format 119); read_survey keeps such codes in
int8 (Stata's byte type, missing codes mapped) so that its peak memory stays near the frame's size
(benchmarks/bench_io.py). A value that does not fit, even in a late chunk, restores the stored type.
"""

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity.io import _dta

LABELS = {1: "很不满意", 2: "不满意", 3: "一般", 4: "满意", 5: "很满意"}


@pytest.fixture(scope="module")
def pyreadstat_file(tmp_path_factory):
    import pyreadstat

    n = _dta.NARROW_CHUNK_ROWS * 2 + 17  # three chunks
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"q": rng.integers(1, 6, n).astype(np.int32), "late": rng.integers(1, 6, n).astype(np.int32),
                       "x": rng.normal(size=n)})
    df.loc[n - 3, "late"] = 100_000  # unlabelled and outside int8, in the last chunk
    path = tmp_path_factory.mktemp("narrow") / "p119.dta"
    pyreadstat.write_dta(df, path, version=15, variable_value_labels={"q": LABELS, "late": LABELS})
    return path, df


def test_labelled_int32_codes_become_categoricals(pyreadstat_file):
    path, df = pyreadstat_file
    assert int(path.read_bytes()[28:31]) == 119
    raw = _dta.read_dta_raw(path)
    kinds = {v.name: (v.kind, v.stored) for v in raw.variables}
    assert kinds["q"] == ("i1", "i4") and kinds["late"] == ("i4", "")  # widened back in the last chunk
    out = dp.read_survey(path)
    assert isinstance(out["q"].dtype, pd.CategoricalDtype)
    assert out["q"].cat.codes.dtype == np.int8
    np.testing.assert_array_equal(out["q"].cat.codes.to_numpy() + 1, df["q"].to_numpy())
    ref = pd.read_stata(path)
    assert (out["q"].astype(str).to_numpy() == ref["q"].astype(str).to_numpy()).all()


def test_partly_labelled_column_keeps_its_stored_values_and_type(pyreadstat_file):
    path, df = pyreadstat_file
    out = dp.read_survey(path)
    assert out["late"].dtype == np.int32
    np.testing.assert_array_equal(out["late"].to_numpy(), df["late"].to_numpy())
    assert "partly labelled" in out.attrs["codebook"]["late"].note


def test_narrow_and_widen_map_missing_codes():
    base = _dta.INT_MISSING_BASE["i4"]
    src = np.array([1, 5, -127, 100, base, base + 1, base + 26], dtype="<i4")
    dst = np.empty(len(src), dtype=np.int8)
    assert _dta._narrow_into(src, dst, "i4")
    assert dst.tolist() == [1, 5, -127, 100, 101, 102, 127]  # ., .a, .z as Stata bytes
    back = _dta._widen(dst, len(dst), "i4")
    assert back.tolist() == src.tolist() and back.dtype == np.int32
    assert not _dta._narrow_into(np.array([1, 101], dtype="<i4"), dst[:2], "i4")  # 101 is a real value in int32
    assert not _dta._narrow_into(np.array([-128], dtype=">i2"), dst[:1], "i2")


def test_header_claiming_more_rows_than_the_file_holds(tmp_path):
    path = tmp_path / "big.dta"
    pd.DataFrame({"a": [1.0, 2.0]}).to_stata(path, version=118, write_index=False)
    b = bytearray(path.read_bytes())
    i = b.index(b"<N>") + 3
    b[i : i + 8] = (10**12).to_bytes(8, "little")
    path.write_bytes(bytes(b))
    with pytest.raises(dp.DataFormatError, match="more than the .* bytes left in the file"):
        dp.read_survey(path)
