""".xls and .xlsx workbooks in read_survey and read_yearbook: sheets, and files that are not what they say."""

import shutil

import pandas as pd
import pytest

import disparity as dp
from tests.io.helpers import FIXTURES
from tests.io.test_yearbook import write_xlsx

XLS = FIXTURES / "nbs_regions_by_indicators_2023.xls"


def test_read_survey_xls_and_sheet(tmp_path):
    df = dp.read_survey(FIXTURES / "yearbook_merged_header.xls", sheet="表1-2")
    assert df.attrs["sheet"] == "表1-2" and df.attrs["codebook"].format == "xls"
    assert df.shape == (6, 4) and df.columns[0] == "表 1-2 各地区卫生机构与床位（2022年）"
    wb = tmp_path / "two.xlsx"
    with pd.ExcelWriter(wb, engine="openpyxl") as w:
        pd.DataFrame({"a": [1, 2]}).to_excel(w, sheet_name="first", index=False)
        pd.DataFrame({"b": ["城镇", "农村"], "c": [0.5, 1.5]}).to_excel(w, sheet_name="second", index=False)
    assert dp.read_survey(wb)["a"].tolist() == [1, 2]
    for sheet in ("second", 1):
        s = dp.read_survey(wb, sheet=sheet)
        assert s["b"].tolist() == ["城镇", "农村"] and s["c"].tolist() == [0.5, 1.5]
    assert dp.read_survey(wb, sheet="second", columns=["c"]).columns.tolist() == ["c"]
    with pytest.raises(dp.SpecificationError, match=r"sheet=2 does not exist.*\['first', 'second'\]"):
        dp.read_survey(wb, sheet=2)
    with pytest.raises(dp.SpecificationError, match="sheet= applies to Excel workbooks"):
        dp.read_survey(dp.datasets.path("chifeng_survey.dta"), sheet=0)


@pytest.mark.parametrize("reader", [dp.read_survey, dp.read_yearbook])
def test_wrong_extensions_say_what_the_file_is(tmp_path, reader):
    xlsx = write_xlsx(tmp_path / "t.xlsx", [["地区", "2020年"], ["北京", 1], ["天津", 2]])
    cases = {
        "xlsx.xls": (xlsx.read_bytes(), r"named \.xls but it is an Excel 2007\+ \(\.xlsx\) workbook; rename it to \.xlsx"),
        "xls.xlsx": (XLS.read_bytes(), r"named \.xlsx but it is an Excel 97-2003 \(\.xls\) workbook; rename it to \.xls"),
        "csv.xls": ("地区,2020年\n北京,1\n".encode(), r"a text file \(CSV or tab-separated\); rename it to \.csv"),
        "page.xls": (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "an HTML page"),
        "doc.xlsx": (b"%PDF-1.4\n...", "a PDF document"),
        "empty.xls": (b"", "empty"),
    }
    for name, (data, message) in cases.items():
        p = tmp_path / name
        p.write_bytes(data)
        with pytest.raises(dp.DataFormatError, match=message):
            reader(p)
        assert p.read_bytes() == data  # never modified


@pytest.mark.parametrize("reader", [dp.read_survey, dp.read_yearbook])
def test_encrypted_workbooks(tmp_path, reader):
    with pytest.raises(dp.DataFormatError, match="password-protected"):
        reader(FIXTURES / "encrypted.xls")
    # A password-protected .xlsx is an OLE2 container holding EncryptionInfo and EncryptedPackage
    # streams (MS-OFFCRYPTO); its directory names are UTF-16LE.
    fake = tmp_path / "locked.xlsx"
    fake.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptionInfo".encode("utf-16-le")
                     + b"\x00" * 64 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 512)
    with pytest.raises(dp.DataFormatError, match="password-protected.*remove the password"):
        reader(fake)


@pytest.mark.parametrize("reader", [dp.read_survey, dp.read_yearbook])
def test_truncated_and_corrupt_workbooks(tmp_path, reader):
    data = XLS.read_bytes()
    for cut in (600, len(data) // 2, len(data) - 100):
        p = tmp_path / f"cut{cut}.xls"
        p.write_bytes(data[:cut])
        with pytest.raises(dp.DataFormatError):
            reader(p)
    xlsx = write_xlsx(tmp_path / "t.xlsx", [["地区", "2020年"], ["北京", 1], ["天津", 2]]).read_bytes()
    p = tmp_path / "cut.xlsx"
    p.write_bytes(xlsx[: len(xlsx) - 200])
    with pytest.raises(dp.DataFormatError, match="damaged|truncated"):
        reader(p)


def test_xls_copy_reads_like_the_original(tmp_path):
    copy = tmp_path / "副本.xls"
    shutil.copy(XLS, copy)
    a, b = dp.read_yearbook(XLS), dp.read_yearbook(copy)
    pd.testing.assert_frame_equal(a, b)
    assert b.attrs["source_file"] == str(copy)
