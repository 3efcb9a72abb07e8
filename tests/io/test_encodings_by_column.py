"""Encodings column by column in legacy .dta files (issue 17 item 7, issue 16 item 6).

Stata 13 (format 117) stores bytes without saying which encoding: a file assembled from two sources
can hold one GBK column and one UTF-8 column, or one column with both. Each unambiguous column is
decoded with its own encoding; a column that mixes them raises, naming the variable and the rows,
and nothing is ever read as Windows-1252 mojibake ('³ÇÕò', 'åŸŽé•‡').
"""

import pandas as pd
import pytest

import disparity as dp
from disparity.io import encoding
from tests.io.helpers import gbk_latin1

MOJIBAKE = ("³ÇÕò", "åŸŽé•‡", "Å©´å")


def utf8_latin1(s: str) -> str:
    return s.encode("utf-8").decode("latin-1")


def write117(path, columns: dict, labels: dict | None = None, value_labels: dict | None = None):
    pd.DataFrame(columns).to_stata(path, version=117, write_index=False, variable_labels=labels,
                                   value_labels=value_labels)
    return path


def no_mojibake(df):
    text = " ".join(str(v) for c in df.columns for v in df[c].dropna().unique() if isinstance(v, str))
    assert not any(m in text for m in MOJIBAKE), text


def test_one_gbk_column_and_one_utf8_column(tmp_path):
    gbk = ["城镇", "农村", "城镇"]
    utf = ["红山区", "敖汉旗", "林西县"]
    path = write117(tmp_path / "two.dta", {"urban_txt": [gbk_latin1(s) for s in gbk],
                                           "county": [utf8_latin1(s) for s in utf], "id": [1, 2, 3]},
                    labels={"urban_txt": gbk_latin1("城乡"), "county": utf8_latin1("旗县区")})
    df = dp.read_survey(path)
    assert df["urban_txt"].tolist() == gbk and df["county"].tolist() == utf
    cb = df.attrs["codebook"]
    assert cb.encoding == "mixed"
    assert "county (utf-8)" in cb.encoding_reason and "urban_txt (gb18030)" in cb.encoding_reason
    assert cb["urban_txt"].label == "城乡" and cb["county"].label == "旗县区"
    assert "text encoding utf-8" in cb["county"].note
    no_mojibake(df)


def test_a_column_mixing_gbk_and_utf8_names_the_variable_and_rows(tmp_path):
    values = [gbk_latin1("城镇"), utf8_latin1("城镇"), gbk_latin1("农村"), gbk_latin1("城镇"), utf8_latin1("农村")]
    path = write117(tmp_path / "mixed.dta", {"urban_txt": values, "ok": [gbk_latin1("是")] * 5})
    with pytest.raises(dp.EncodingError) as err:
        dp.read_survey(path)
    msg = str(err.value)
    assert "variable 'urban_txt' mixes text encodings" in msg
    assert "rows 2, 5 hold UTF-8 text" in msg and "rows 1, 3, 4 GBK/GB18030 text" in msg
    assert not any(m in msg for m in MOJIBAKE)
    # an explicit encoding is the user's decision: it decodes or says where it cannot
    with pytest.raises(dp.EncodingError, match="'urban_txt'"):
        dp.read_survey(path, encoding="utf-8")


def test_value_labels_in_another_encoding_than_the_strings(tmp_path):
    path = write117(tmp_path / "vl.dta", {"urban": [0, 1, 1], "name": [utf8_latin1(s) for s in ("张三", "李四", "王五")]},
                    value_labels={"urban": {0: gbk_latin1("农村"), 1: gbk_latin1("城镇")}})
    df = dp.read_survey(path)
    assert df["urban"].tolist() == ["农村", "城镇", "城镇"] and df["name"].tolist() == ["张三", "李四", "王五"]
    no_mojibake(df)


def test_bundled_gbk_file_is_still_one_encoding():
    df = dp.read_survey(dp.datasets.path("chifeng_survey_v117_gbk.dta"))
    assert df.attrs["codebook"].encoding == "gb18030"
    no_mojibake(df)


def test_detector_by_owner_rules():
    d = encoding.detect_by_owner({"a": [b"abc"], "b": ["城镇".encode()], "c": ["农村".encode("gbk")]})
    assert d.encoding == "mixed" and d.by_owner == {"b": "utf-8", "c": "gb18030"} and d.of("a") == "ascii"
    # a one-character GBK value that is also valid UTF-8 ('女' is C5 AE, UTF-8 for 'Ů') stays GBK
    d = encoding.detect_by_owner({"sex": ["女".encode("gbk")], "x": ["城镇".encode("gbk")]})
    assert d.encoding == "gb18030"
    # Western UTF-8 ('Zürich') is UTF-8, not Chinese
    assert encoding.detect_by_owner({"city": ["Zürich".encode()]}).encoding == "utf-8"
    assert encoding.detect_by_owner({"city": ["Zürich".encode("cp1252")]}).encoding == "cp1252"
    with pytest.raises(encoding.MixedEncodingError) as err:
        encoding.detect_by_owner({"v": ["城镇".encode(), "农村".encode("gbk")]})
    assert err.value.owner == "v"
    with pytest.raises(dp.EncodingError, match="'w' decodes under no candidate"):
        encoding.detect_by_owner({"w": [b"\xff\xfe\xff"], "z": ["城镇居民".encode("gbk")]})


def _sav_without_declared_encoding(path, df, gbk_values):
    """A .sav as old SPSS versions wrote it: no encoding record (7/20), code page unknown, and the
    given values stored in GBK (the others stay UTF-8), padded to the same width."""
    import struct

    import pyreadstat

    pyreadstat.write_sav(df, path)
    data = bytearray(path.read_bytes())
    out, pos = bytearray(data[:176]), 176
    while True:
        rec, start = struct.unpack_from("<i", data, pos)[0], pos
        if rec == 2:
            _typ, has_label, n_missing = struct.unpack_from("<iii", data, pos + 4)
            pos += 32
            if has_label:
                pos += 4 + (struct.unpack_from("<i", data, pos)[0] + 3) // 4 * 4
            pos += abs(n_missing) * 8
        elif rec == 7:
            sub, size, count = struct.unpack_from("<iii", data, pos + 4)
            pos += 16 + size * count
            if sub == 20:
                continue  # drop the character-encoding record
            if sub == 3:
                struct.pack_into("<i", data, start + 16 + 28, 0)  # code page: unknown
        elif rec == 999:
            out += data[start:]
            break
        out += data[start:pos]
    for s in gbk_values:
        u, g = s.encode(), s.encode("gbk")
        assert out.count(u) == 1, s
        out = out.replace(u, g + b" " * (len(u) - len(g)))
    path.write_bytes(bytes(out))
    return path


def test_sav_without_encoding_decodes_each_column(tmp_path):
    import pyreadstat

    df = pd.DataFrame({"urban": ["城镇", "农村"], "county": ["红山区", "敖汉旗"]})
    path = _sav_without_declared_encoding(tmp_path / "old.sav", df, ["城镇", "农村"])
    with pytest.raises(UnicodeDecodeError):
        pyreadstat.read_sav(path)  # what a plain reader does with such a file
    out = dp.read_survey(path)
    assert out["urban"].tolist() == ["城镇", "农村"] and out["county"].tolist() == ["红山区", "敖汉旗"]
    assert out.attrs["codebook"].encoding == "mixed"
    no_mojibake(out)


def test_sav_column_mixing_encodings_names_variable_and_rows(tmp_path):
    df = pd.DataFrame({"urban": ["城镇", "农村", "城乡结合"], "id": [1.0, 2.0, 3.0]})
    path = _sav_without_declared_encoding(tmp_path / "mix.sav", df, ["农村"])
    with pytest.raises(dp.EncodingError, match=r"variable 'urban' mixes text encodings: rows 1, 3 hold UTF-8 text "
                                               r"and rows 2 GBK/GB18030"):
        dp.read_survey(path)
