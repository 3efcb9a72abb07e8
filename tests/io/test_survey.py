"""read_survey: round trips of every format, labels, encodings, missing codes, codebook."""

import hashlib
import warnings

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity.errors import EncodingError
from disparity.io import encoding

from .helpers import SAT, URBAN, VARLABELS, frame, gbk_latin1, write_dta, write_readstat

SAT_CATS = [SAT[k] for k in sorted(SAT) if k != -1]


def _check_labelled(df, *, county=True):
    assert isinstance(df["urban"].dtype, pd.CategoricalDtype)
    assert list(df["urban"].cat.categories) == ["农村", "城镇"]
    assert df["urban"].cat.ordered
    assert list(df["urban"].astype(str)) == ["城镇", "农村", "城镇", "农村", "城镇", "农村"]
    # -1 "不知道" is recoded to missing by the CFPS preset and leaves the categories
    assert list(df["sat"].cat.categories) == SAT_CATS
    assert df["sat"].isna().tolist() == [False] * 5 + [True]
    assert list(df["sat"].iloc[:5].astype(str)) == SAT_CATS
    np.testing.assert_array_equal(df["income"].to_numpy(), [1000.5, np.nan, 2000.0, np.nan, 3000.0, 4000.25])
    if county:
        assert list(df["county"]) == list(frame()["county"])
    book = df.attrs["codebook"]
    assert book.variable_labels() == VARLABELS
    assert dict(book["sat"].value_labels) == SAT
    assert dict(book["urban"].value_labels) == URBAN
    assert book["income"].missing_recoded == 2
    assert dict(book["income"].missing_reasons) == {"-9 missing (缺失)": 1, "-8 not applicable (不适用)": 1}
    assert book["sat"].missing_recoded == 1


@pytest.mark.parametrize("version", [118, 119])
def test_dta_unicode_round_trip(tmp_path, version):
    path = write_dta(tmp_path / f"v{version}.dta", version)
    df = dp.read_survey(path, missing="cfps")
    _check_labelled(df)
    book = df.attrs["codebook"]
    assert (book.format, book.version, book.encoding) == ("dta", str(version), "utf-8")
    assert book.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("version", [114, 117])
def test_dta_legacy_gbk_detected(tmp_path, version):
    path = write_dta(tmp_path / f"v{version}.dta", version, gbk=True)
    df = dp.read_survey(path, missing="cfps")
    _check_labelled(df)
    assert df.attrs["codebook"].encoding == "gb18030"
    assert "Chinese" in df.attrs["codebook"].encoding_reason


def test_pandas_reads_the_same_legacy_file_as_mojibake(tmp_path):
    """The failure we guard against: pandas decodes GBK text as Latin-1 without complaint."""
    path = write_dta(tmp_path / "v117.dta", 117, gbk=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = pd.read_stata(path, convert_categoricals=False)
    assert raw["county"].iloc[0] == gbk_latin1("红山区") != "红山区"


def test_explicit_encoding_wins(tmp_path):
    path = write_dta(tmp_path / "v117.dta", 117, gbk=True)
    df = dp.read_survey(path, encoding="gbk", missing="cfps")
    assert df.attrs["codebook"].encoding == "gbk"
    assert df["county"].iloc[1] == "敖汉旗"
    with pytest.raises(EncodingError, match="county|variable label|value label"):
        dp.read_survey(path, encoding="utf-8")


def test_dta_ascii_legacy(tmp_path):
    path = write_dta(tmp_path / "a.dta", 114, ascii_only=True)
    df = dp.read_survey(path)
    assert df.attrs["codebook"].encoding == "ascii"
    assert list(df["urban"].cat.categories) == ["rural", "urban"]
    # without a missing preset, -1 is a labelled category like any other
    assert df["sat"].iloc[5] == "level -1"


def test_bundled_gbk_copy_equals_utf8_copy():
    a = dp.datasets.chifeng_survey("dta")
    b = dp.datasets.chifeng_survey("dta117")
    assert a.attrs["codebook"].encoding == "utf-8"
    assert b.attrs["codebook"].encoding == "gb18030"
    assert a.attrs["codebook"].variable_labels() == b.attrs["codebook"].variable_labels()
    assert a.attrs["codebook"].value_labels() == b.attrs["codebook"].value_labels()
    pd.testing.assert_frame_equal(a, b, check_dtype=True)
    assert a["county"].cat.categories[0] == "红山区"


@pytest.mark.parametrize("kind", ["sav", "zsav"])
def test_spss_round_trip(tmp_path, kind):
    path = write_readstat(tmp_path / f"f.{kind}", kind)
    df = dp.read_survey(path, missing="cfps")
    _check_labelled(df)
    assert df.attrs["codebook"].format == "sav"


@pytest.mark.parametrize("kind", ["por", "xpt"])
def test_portable_formats(tmp_path, kind):
    path = write_readstat(tmp_path / f"f.{kind}", kind)
    df = dp.read_survey(path, missing={"*": [-9, -8]})
    cols = [c.lower() for c in df.columns]
    assert cols == ["id", "urban", "sat", "income", "county"]
    df.columns = cols
    np.testing.assert_array_equal(df["income"], [1000.5, np.nan, 2000.0, np.nan, 3000.0, 4000.25])
    assert list(df["county"])[:2] == ["Hongshan", "Aohan"]
    if kind == "xpt":  # pyreadstat's .por writer stores no variable labels
        labels = {k.lower(): v for k, v in df.attrs["codebook"].variable_labels().items()}
        assert labels["income"] == "INCOME"


def test_sas7bdat_fixture():
    df = dp.read_survey("tests/io/fixtures/small.sas7bdat")
    assert df.shape == (5, 4)
    np.testing.assert_array_equal(df["cost"], [1200.5, 300, 0, 8800.25, 15])
    assert df["urban"].isna().sum() == 1
    assert df.attrs["codebook"].variable_labels()["cost"] == "Inpatient cost (yuan)"


@pytest.mark.parametrize("enc", ["utf-8", "gb18030", "utf-8-sig"])
def test_csv_encodings(tmp_path, enc):
    path = tmp_path / "f.csv"
    frame().to_csv(path, index=False, encoding=enc)
    df = dp.read_survey(path, missing="cfps")
    assert list(df["county"]) == list(frame()["county"])
    assert df["income"].isna().sum() == 2
    assert df.attrs["codebook"].encoding in {enc, "utf-8-sig"}


def test_xlsx_and_parquet(tmp_path):
    f = frame()
    f.to_excel(tmp_path / "f.xlsx", index=False)
    f.to_parquet(tmp_path / "f.parquet")
    for name in ("f.xlsx", "f.parquet"):
        df = dp.read_survey(tmp_path / name, missing={"*": [-9, -8]}, columns=["county", "income"])
        assert list(df.columns) == ["county", "income"]
        assert list(df["county"]) == list(f["county"])
        assert df.attrs["codebook"]["income"].missing_recoded == 2


def test_columns_subset_and_order(tmp_path):
    path = write_dta(tmp_path / "v118.dta", 118)
    df = dp.read_survey(path, columns=["income", "urban"])
    assert list(df.columns) == ["income", "urban"]
    assert df.attrs["codebook"].names == ["income", "urban"]


def test_stata_extended_missing_reasons(tmp_path):
    import pyreadstat

    df = pd.DataFrame({"x": pd.Series([1.0, "a", 3.0, "d", np.nan, "r"], dtype=object), "y": [1, 2, 3, 4, 5, 6]})
    path = tmp_path / "ext.dta"
    pyreadstat.write_dta(df, path, missing_user_values={"x": ["a", "d", "r"]})
    out = dp.read_survey(path, missing="charls")
    assert out["x"].isna().tolist() == [False, True, False, True, True, True]
    reasons = dict(out.attrs["codebook"]["x"].missing_reasons)
    assert reasons == {".": 1, ".a": 1, ".d don't know": 1, ".r refused": 1}


def test_cfps_preset_counts_on_bundled_survey():
    df = dp.datasets.chifeng_survey()
    book = df.attrs["codebook"]
    assert book["satisfaction"].missing_recoded == df["satisfaction"].isna().sum() > 0
    assert "不知道" not in list(df["satisfaction"].cat.categories)
    assert book["income"].missing_recoded == df["income"].isna().sum() > 0


def test_partly_labelled_variable_stays_numeric(tmp_path):
    df = frame()
    df["age"] = np.array([30, 40, 50, 60, 70, 99], dtype=np.int8)
    path = tmp_path / "p.dta"
    df.to_stata(path, version=118, write_index=False, value_labels={"age": {99: "99岁及以上"}})
    out = dp.read_survey(path)
    assert out["age"].dtype == np.int8
    assert "partly labelled" in out.attrs["codebook"]["age"].note
    assert dict(out.attrs["codebook"]["age"].value_labels) == {99: "99岁及以上"}


def test_input_file_is_never_modified(tmp_path):
    path = write_dta(tmp_path / "v117.dta", 117, gbk=True)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    dp.read_survey(path, missing="cfps")
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_codebook_outputs():
    df = dp.datasets.chifeng_survey()
    book = dp.codebook(df)
    t = book.tidy()
    assert list(t.columns[:4]) == ["variable", "label", "dtype", "value_labels"]
    assert t.loc[t.variable == "support", "label"].item() == "是否支持城乡医保整合"
    html = book._repr_html_()
    assert "Synthetic data" in html and "是否支持城乡医保整合" in html
    # the codebook follows the frame through column selection
    sub = dp.codebook(df[["support", "county"]])
    assert sub.names == ["support", "county"] and sub.synthetic


def test_encoding_detector_rules():
    assert encoding.detect([("a", b"abc")]).encoding == "ascii"
    assert encoding.detect([("a", "城镇".encode())]).encoding == "utf-8"
    assert encoding.detect([("a", "城镇居民医保".encode("gbk"))]).encoding == "gb18030"
    # Western text that GB18030 can decode but that is not Chinese falls back to Windows-1252
    western = "Müller café déjà vu São Paulo".encode("cp1252")
    assert encoding.detect([("a", western)]).encoding == "cp1252"


@pytest.mark.parametrize("stata_version, fmt", [(8, 113), (10, 114), (12, 115), (13, 117), (14, 118), (15, 119)])
def test_every_dta_format_reads_natively(tmp_path, stata_version, fmt):
    """Files written by ReadStat (an independent writer) in every format 113-119."""
    import pyreadstat

    df = pd.DataFrame({"x": [1.5, np.nan, -3.0], "g": [1, 2, 1], "s": ["a", "bb", ""]})
    path = tmp_path / f"v{stata_version}.dta"
    pyreadstat.write_dta(df, path, version=stata_version, column_labels={"x": "cost"},
                         variable_value_labels={"g": {1: "urban", 2: "rural"}})
    out = dp.read_survey(path)
    assert out.attrs["codebook"].version == str(fmt)
    np.testing.assert_array_equal(out["x"], [1.5, np.nan, -3.0])
    assert list(out["g"].astype(str)) == ["urban", "rural", "urban"]
    assert list(out["s"]) == ["a", "bb", ""]
    assert out.attrs["codebook"].variable_labels()["x"] == "cost"


def test_stata_dates_convert(tmp_path):
    df = pd.DataFrame({"d": pd.to_datetime(["2016-01-12", "2019-05-13", None]), "x": [1, 2, 3]})
    path = tmp_path / "dates.dta"
    df.to_stata(path, version=118, write_index=False, convert_dates={"d": "td"})
    out = dp.read_survey(path)
    assert list(out["d"].dt.strftime("%Y-%m-%d").fillna("NaT")) == ["2016-01-12", "2019-05-13", "NaT"]
    raw = dp.read_survey(path, convert_dates=False)
    assert raw["d"].iloc[0] == (pd.Timestamp("2016-01-12") - pd.Timestamp("1960-01-01")).days


def test_codebook_survives_parquet_and_pickle(tmp_path):
    # pandas writes DataFrame.attrs to Parquet as JSON: the codebook must be JSON data
    import pickle

    df = dp.read_survey(dp.datasets.path("chifeng_survey.dta"))
    df.to_parquet(tmp_path / "s.parquet")
    back = pd.read_parquet(tmp_path / "s.parquet")
    assert isinstance(back.attrs["codebook"], dict)  # plain data after the round trip
    a, b = dp.codebook(df), dp.codebook(back)
    assert b.encoding == a.encoding and b.sha256 == a.sha256 and b.synthetic == a.synthetic
    assert b.variable_labels() == a.variable_labels()
    assert b.value_labels() == a.value_labels()  # numeric codes keep their type
    assert b["income"].missing_recoded == a["income"].missing_recoded
    p = pickle.loads(pickle.dumps(df))
    assert p.attrs["codebook"].encoding == a.encoding
    assert dp.codebook(p).value_labels() == a.value_labels()
    # the stored form is the codebook: attributes, methods and variable look-up
    book = df.attrs["codebook"]
    assert book["income"].label == a["income"].label
    assert book.tidy().equals(a.tidy())
