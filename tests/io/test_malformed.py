"""Malformed input: every case raises the right DisparityError subclass with a useful message."""

import shutil

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity.errors import (
    AmbiguousRegionError,
    DataFormatError,
    EncodingError,
    SpecificationError,
    YearbookLayoutError,
)

from .helpers import frame, gbk_latin1, write_dta, write_readstat
from .test_yearbook import write_xlsx


def test_truncated_dta(tmp_path):
    path = write_dta(tmp_path / "t.dta", 118)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFormatError, match=r"t\.dta.*(truncated|corrupt)"):
        dp.read_survey(path)


def test_truncated_legacy_dta(tmp_path):
    path = write_dta(tmp_path / "t.dta", 114, gbk=True)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(DataFormatError, match="truncated"):
        dp.read_survey(path)


def test_truncated_sav(tmp_path):
    path = write_readstat(tmp_path / "t.sav", "sav")
    path.write_bytes(path.read_bytes()[:400])
    with pytest.raises(DataFormatError, match=r"t\.sav"):
        dp.read_survey(path)


def test_dta_named_sav(tmp_path):
    src = write_dta(tmp_path / "a.dta", 118)
    dst = tmp_path / "a.sav"
    shutil.copy(src, dst)
    with pytest.raises(DataFormatError, match="named .sav but its contents are a dta file"):
        dp.read_survey(dst)


def test_dta_named_csv(tmp_path):
    src = write_dta(tmp_path / "a.dta", 118)
    dst = tmp_path / "a.csv"
    shutil.copy(src, dst)
    with pytest.raises(DataFormatError, match="rename it"):
        dp.read_survey(dst)


def test_garbage_named_dta(tmp_path):
    path = tmp_path / "g.dta"
    path.write_bytes(b"this is not a stata file at all" * 10)
    with pytest.raises(DataFormatError, match="not a recognised file"):
        dp.read_survey(path)


def test_corrupt_tag_inside_dta(tmp_path):
    path = write_dta(tmp_path / "c.dta", 118)
    data = bytearray(path.read_bytes())
    i = data.find(b"<varnames>")
    data[i : i + 10] = b"<garbage!>"
    path.write_bytes(bytes(data))
    with pytest.raises(DataFormatError, match="corrupt"):
        dp.read_survey(path)


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "e.dta"
    empty.write_bytes(b"")
    with pytest.raises(DataFormatError, match="empty"):
        dp.read_survey(empty)
    with pytest.raises(DataFormatError, match="no such file"):
        dp.read_survey(tmp_path / "nope.dta")


def test_unsupported_extension(tmp_path):
    path = tmp_path / "f.rds"
    path.write_bytes(b"X\n")
    with pytest.raises(DataFormatError, match="unsupported file extension '.rds'"):
        dp.read_survey(path)


def test_truncated_xlsx(tmp_path):
    path = tmp_path / "f.xlsx"
    frame().to_excel(path, index=False)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DataFormatError):
        dp.read_survey(path)


def test_gbk_text_with_undecodable_variable_names_it(tmp_path):
    df = frame()
    df["county"] = df["county"].map(gbk_latin1)
    df["bad"] = "\xff\xfe\xff"  # bytes valid in no candidate encoding
    path = tmp_path / "mixed.dta"
    df.to_stata(path, version=117, write_index=False,
                variable_labels={k: gbk_latin1(v) for k, v in {"county": "旗县区", "urban": "城乡"}.items()})
    with pytest.raises(EncodingError, match="'bad'"):
        dp.read_survey(path)


def test_bad_options():
    path = dp.datasets.path("chifeng_survey.dta")
    with pytest.raises(SpecificationError, match="not a known preset"):
        dp.read_survey(path, missing="cfpss")
    with pytest.raises(SpecificationError, match="not in the data"):
        dp.read_survey(path, missing={"no_such_column": [-9]})
    with pytest.raises(SpecificationError, match="not in the file"):
        dp.read_survey(path, columns=["support", "no_such_column"])
    with pytest.raises(SpecificationError, match="not an encoding"):
        dp.read_survey(path, encoding="gbk-99")
    with pytest.raises(SpecificationError, match="list of codes"):
        dp.read_survey(path, missing={"income": -2})


def test_por_with_encoding(tmp_path):
    path = write_readstat(tmp_path / "f.por", "por")
    with pytest.raises(SpecificationError, match="translation table"):
        dp.read_survey(path, encoding="gbk")


# --- yearbook tables ---------------------------------------------------------------------------

HEAD = [["表9 人均筹资"], ["单位：元"], ["地区", "2018年", "2019年"]]


def test_yearbook_unit_in_cell(tmp_path):
    path = write_xlsx(tmp_path / "u.xlsx", HEAD + [["北京", 100, "120元"], ["天津", 90, 95]])
    with pytest.raises(YearbookLayoutError, match="C4 holds a number with a unit"):
        dp.read_yearbook(path)


def test_yearbook_text_in_number_cell(tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", HEAD + [["北京", 100, "约120"], ["天津", 90, 95]])
    with pytest.raises(YearbookLayoutError, match="C4 holds '约120'"):
        dp.read_yearbook(path)


def test_yearbook_duplicate_region_year(tmp_path):
    path = write_xlsx(tmp_path / "d.xlsx", HEAD + [["北京", 100, 120], ["天津", 90, 95], ["北京市", 1, 2]])
    with pytest.raises(YearbookLayoutError, match="110000 appears more than once"):
        dp.read_yearbook(path)


def test_yearbook_unknown_row_inside_body(tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", HEAD + [["北京", 100, 120], ["其中：城区", 50, 60], ["天津", 90, 95]])
    with pytest.raises(YearbookLayoutError, match="row 5.*neither a region nor a footnote"):
        dp.read_yearbook(path)


def test_yearbook_unknown_region_in_english(tmp_path):
    path = write_xlsx(tmp_path / "s.xlsx", [["Table 9"], ["Unit: yuan"], ["Region", "2018", "2019"],
                                            ["Beijing", 1, 2], ["Shanxi", 3, 4], ["Gansu", 5, 6]])
    with pytest.raises(AmbiguousRegionError, match="Shaanxi"):
        dp.read_yearbook(path)


def test_yearbook_merged_header_leaves_column_without_header(tmp_path):
    # A merged header cell that covers the region column only: the data column has no header.
    path = write_xlsx(tmp_path / "m.xlsx", [["表9 人均筹资"], ["单位：元"], ["地区", None, "2019年"],
                                            [None, None, None], ["北京", 100, 120], ["天津", 90, 95]],
                      merges=["A3:B4"])
    with pytest.raises(YearbookLayoutError, match="column B has numbers but no header of its own"):
        dp.read_yearbook(path)


def test_yearbook_indicators_without_year(tmp_path):
    path = write_xlsx(tmp_path / "y.xlsx", [["表9 基金情况"], ["地区", "收入（亿元）", "支出（亿元）"],
                                            ["北京", 1, 2], ["天津", 3, 4]])
    with pytest.raises(YearbookLayoutError, match="pass year="):
        dp.read_yearbook(path)


def test_yearbook_unknown_unit(tmp_path):
    path = write_xlsx(tmp_path / "k.xlsx", [["表9 2019年基金情况"], ["地区", "收入（亿卢布）"],
                                            ["北京", 1], ["天津", 3]])
    with pytest.raises(YearbookLayoutError, match="no unit|unknown unit"):
        dp.read_yearbook(path)


def test_yearbook_no_region_column(tmp_path):
    path = write_xlsx(tmp_path / "n.xlsx", [["表9"], ["a", "b"], [1, 2], [3, 4]])
    with pytest.raises(YearbookLayoutError, match="no column of region names"):
        dp.read_yearbook(path)


def test_yearbook_units_override_must_name_indicators(tmp_path):
    path = write_xlsx(tmp_path / "o.xlsx", HEAD + [["北京", 100, 120], ["天津", 90, 95]])
    with pytest.raises(SpecificationError, match="not in the table"):
        dp.read_yearbook(path, units={"人均收入": "元"})


def test_no_input_file_is_changed_by_failures(tmp_path):
    path = write_xlsx(tmp_path / "u.xlsx", HEAD + [["北京", 100, "120元"], ["天津", 90, 95]])
    before = path.read_bytes()
    with pytest.raises(YearbookLayoutError):
        dp.read_yearbook(path)
    assert path.read_bytes() == before
    assert np.isfinite(pd.read_excel(path, header=None, engine="openpyxl").shape[0])
