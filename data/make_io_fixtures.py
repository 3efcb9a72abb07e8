"""Make the .xls fixtures of tests/io (Excel 97-2003 workbooks as data.stats.gov.cn and yearbooks ship them).

Each workbook is written as .xlsx with openpyxl and converted to .xls (BIFF8) by LibreOffice, the
way a researcher's "Save as Excel 97-2003" would; the password-protected one is saved through
LibreOffice's UNO bridge. The values are those of the bundled NBS exports (official statistics,
see tests/io/fixtures/real/README.md) or small made-up numbers. Needs LibreOffice Calc
(``soffice``) and, for the encrypted file, the system Python with ``python3-uno``.

    python data/make_io_fixtures.py
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from openpyxl import Workbook

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "io" / "fixtures"
REAL = OUT / "real"

FISCAL_NOTE = "注：1. 地方财政收入均为本级收入,不包括国内外债务收入。"
GDP_NOTE = ("注：1. 按照我国国民经济核算数据修订制度和国际通行做法，在第五次全国经济普查后，对1992年-2023年地区生产总值历史数据"
            "进行了系统修订。")


def _nbs_rows(path: Path) -> list[list[str]]:
    """The table rows of an NBS CSV export (tab-plus-comma cells), without its lines above and below."""
    text = path.read_text(encoding="utf-8-sig")
    rows = [[c.strip() for c in r] for r in csv.reader(text.splitlines())]
    return [[c for c in r if c != ""] for r in rows if len(r) > 2]


def _num(s: str):
    try:
        return float(s)
    except ValueError:
        return s


def _xlsx(rows: list[list], path: Path, merges: tuple[str, ...] = (), sheet: str = "sheet1") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append([_num(v) if isinstance(v, str) else v for v in r])
    for m in merges:
        ws.merge_cells(m)
    wb.save(path)
    return path


def _to_xls(src: Path, dst: Path, profile: Path) -> None:
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{profile}", "--convert-to", "xls",
                    "--outdir", str(src.parent), str(src)], check=True, capture_output=True)
    shutil.move(src.with_suffix(".xls"), dst)


_UNO = r"""
import subprocess, sys, time, uno
from com.sun.star.beans import PropertyValue
src, dst, profile = sys.argv[1:4]
p = subprocess.Popen(["soffice", "--headless", "--norestore", "-env:UserInstallation=file://" + profile,
                      "--accept=socket,host=127.0.0.1,port=2202;urp;"])
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(120):
        try:
            ctx = resolver.resolve("uno:socket,host=127.0.0.1,port=2202;urp;StarOffice.ComponentContext")
            break
        except Exception:
            time.sleep(0.5)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    def pv(n, v):
        x = PropertyValue(); x.Name = n; x.Value = v; return x
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, (pv("Hidden", True),))
    doc.storeToURL(uno.systemPathToFileUrl(dst), (pv("FilterName", "MS Excel 97"), pv("Password", "secret")))
    doc.close(True)
finally:
    p.terminate(); p.wait()
"""


def main() -> None:
    if shutil.which("soffice") is None:
        sys.exit("needs LibreOffice Calc (soffice) on PATH")
    fiscal = _nbs_rows(REAL / "nbs_export_prov_local_fiscal_revenue_2016_2024.csv")
    gdp = _nbs_rows(REAL / "nbs_export_prov_gdp_by_sector_2023.csv")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        profile = tmp / "profile"
        # 1. regions x years, one indicator named with its unit on the 指标 line
        rows = [["数据库：分省年度数据"], ["指标：地方一般公共预算收入(亿元)"], ["时间：最近9年"], *fiscal,
                [FISCAL_NOTE], ["数据来源：国家统计局"]]
        _to_xls(_xlsx(rows, tmp / "a.xlsx"), OUT / "nbs_regions_by_years.xls", profile)
        # 2. regions x indicators for one year, units in the headers
        rows = [["数据库：分省年度数据"], ["时间：2023年"], *gdp[:6], [GDP_NOTE], ["数据来源：国家统计局"]]
        _to_xls(_xlsx(rows, tmp / "b.xlsx"), OUT / "nbs_regions_by_indicators_2023.xls", profile)
        # 3. indicators x regions for one year (regions as columns: NBS "转置")
        head = ["指标"] + [r[0] for r in gdp[1:6]]
        body = [[gdp[0][k]] + [r[k] for r in gdp[1:6]] for k in (1, 2, 14)]
        rows = [["数据库：分省年度数据"], ["时间：2023年"], head, *body, ["数据来源：国家统计局"]]
        _to_xls(_xlsx(rows, tmp / "c.xlsx"), OUT / "nbs_indicators_by_regions_2023.xls", profile)
        # 4. a yearbook sheet with a two-row merged header, a unit line and a national row
        rows = [["表 1-2 各地区卫生机构与床位（2022年）", None, None, None],
                ["地区", "医疗卫生机构", "床位", None],
                [None, "（个）", "合计（万张）", "每千人口（张）"],
                ["全  国", 1032918, 975.0, 6.92], ["北  京", 10996, 13.5, 6.19], ["河  北", 90000, 49.1, 6.62],
                ["注：本表为测试数据。", None, None, None]]
        merges = ("A1:D1", "A2:A3", "C2:D2")
        _to_xls(_xlsx(rows, tmp / "d.xlsx", merges, sheet="表1-2"), OUT / "yearbook_merged_header.xls", profile)
        # 5. the same workbook with a password: refused, with a message that says so
        src = _xlsx([["地区", "2020年"], ["北京", 1.0], ["天津", 2.0]], tmp / "e.xlsx")
        subprocess.run(["/usr/bin/python3", "-c", _UNO, str(src), str(OUT / "encrypted.xls"), str(profile)],
                       check=True, capture_output=True, timeout=300)
    print("wrote", *sorted(p.name for p in OUT.glob("*.xls")))


if __name__ == "__main__":
    main()
