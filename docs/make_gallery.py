"""Build the output gallery (docs/gallery.md and docs/_static/gallery/*.png).

Every entry is a piece of code; it is run here, its output rendered the way a reader sees it —
figures as PNG, Word through LibreOffice (DOCX -> PDF -> PNG), LaTeX through XeLaTeX + ctex, Excel
through LibreOffice — and the page shows the code beside the picture. Run it after changing a
renderer and look at the pictures:

    PYTHONPATH=$PWD python docs/make_gallery.py

Needs LibreOffice (``soffice``), XeLaTeX with ctex, and poppler (``pdftoppm``).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from PIL import Image, ImageChops

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "_static" / "gallery"
PAGE = ROOT / "docs" / "gallery.md"

SETUP = """\
import disparity as dp
df = dp.datasets.chifeng_survey()
panel = dp.datasets.province_panel()
labels = {"income": "家庭人均年收入", "age": "年龄", "edu_years": "受教育年限", "oop": "自付费用"}
m1 = dp.ols("oop ~ income + age", data=df)
m2 = dp.ols("oop ~ income + age + edu_years", data=df, vcov="HC1")
"""

FIGURES = [
    ("lorenz", "Lorenz curves by group", 'fig = dp.lorenz_plot(dp.lorenz(df, "income", by="urban"))'),
    ("lorenz_serif", "Lorenz and concentration curves, serif (宋体 + Times-style)",
     'fig = dp.lorenz_plot([dp.lorenz(df, "oop"), dp.concentration_curve(df, "oop", rank="income")], serif=True)'),
    ("gap_trend", "Gap trends by region", 'fig = dp.gap_trend_plot(panel, "year", "benefit_gap", group="nbs4")'),
    ("coef", "Coefficients of two models", 'fig = dp.coef_plot({"基准": m1, "加入教育": m2}, labels=labels)'),
    ("event_study", "Event study from a DiD result",
     'cs = dp.event_study(panel, "benefit_gap", unit="region_code", time="year",\n'
     '                    cohort="integration_year", control="notyet", seed=1)\n'
     'fig = dp.event_study_plot(cs.aggregate("dynamic"))'),
    ("marginal_effects", "Marginal effects",
     'm = dp.ols("oop ~ income * age", data=df)\n'
     'fig = dp.marginal_effects_plot(m.marginal_effects("income", at={"age": [30, 50, 70]}),\n'
     '                               at="age", labels={"income": "收入", "age": "年龄"})'),
    ("radar", "Radar chart", 'two = panel[panel.year == 2023].head(2)\n'
     'fig = dp.radar_chart(two, label="region", columns=["reimb_rural", "reimb_urban", "urbanisation"],\n'
     '                     labels={"reimb_rural": "农村报销比例", "reimb_urban": "城镇报销比例", "urbanisation": "城镇化率"})'),
    ("region_bar", "Regions compared",
     'fig = dp.region_bar_plot(panel[panel.year == 2023], "region", "benefit_gap", highlight=["内蒙古自治区"])'),
]

TABLE = ('t = dp.regression_table([m1, m2], labels=labels, model_names=["基准", "稳健标准误"],\n'
         '                        title="基准回归结果")')
LONG = ('from disparity.reports import Table, HeaderCell\n'
        'rows = [(r.region, f"{r.benefit_gap:.2f}", f"{r.gdp_pc:.0f}") for r in panel[panel.year >= 2021].itertuples()]\n'
        't = Table(header=((HeaderCell("地区"), HeaderCell("待遇差距"), HeaderCell("人均GDP")),),\n'
        '          body=tuple(rows), title="分省份待遇差距（2021—2023年）", notes=("合成数据。",), lang="zh")')


def crop(path: Path, margin: int = 24) -> None:
    im = Image.open(path).convert("RGB")
    bg = Image.new("RGB", im.size, (255, 255, 255))
    box = ImageChops.difference(im, bg).getbbox()
    if box:
        left, top, right, bottom = box
        im = im.crop((max(0, left - margin), max(0, top - margin), min(im.width, right + margin),
                      min(im.height, bottom + margin)))
    im.save(path, optimize=True)


def pdf_pages(pdf: Path, stem: Path, *, dpi: int = 110, pages: tuple[int, int] = (1, 1)) -> list[Path]:
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(pages[0]), "-l", str(pages[1]), str(pdf),
                    str(stem)], check=True)
    made = sorted(stem.parent.glob(stem.name + "-*.png"))
    out = []
    for k, p in enumerate(made, start=pages[0]):
        target = stem.parent / f"{stem.name}_p{k}.png"
        p.replace(target)
        crop(target)
        out.append(target)
    return out


def soffice_pdf(path: Path) -> Path:
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(path.parent), str(path)],
                   check=True, capture_output=True, timeout=300)
    return path.with_suffix(".pdf")


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from disparity.reports.figures import figure_bytes
    from disparity.reports.render_latex import _SISETUP, PREAMBLE

    OUT.mkdir(parents=True, exist_ok=True)
    ns: dict = {}
    exec(SETUP, ns)
    sections = ["# Output gallery", "",
                "What each output looks like when a reader opens it, next to the code that made it. The",
                "pictures are rendered by `docs/make_gallery.py`: figures as PNG, Word documents through",
                "LibreOffice, LaTeX through XeLaTeX with ctex. Every example starts from", "",
                "```python", SETUP.rstrip(), "```", "", "## Figures", ""]
    for name, title, code in FIGURES:
        exec(code, ns)
        (OUT / f"{name}.png").write_bytes(figure_bytes(ns["fig"], "png", dpi=110))
        sections += [f"### {title}", "", "```python", code, "```", "",
                     f"![{title}](_static/gallery/{name}.png)", ""]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        exec(TABLE, ns)
        table = ns["t"]
        docx = table.to_docx(work / "table.docx")
        word = pdf_pages(soffice_pdf(docx), OUT / "word_table")
        sections += ["## Word (三线表)", "", "```python", TABLE, 't.to_docx("table.docx")', "```", "",
                     f"![Word table](_static/gallery/{word[0].name})", ""]
        exec(LONG, ns)
        long_docx = ns["t"].to_docx(work / "long.docx")
        pages = pdf_pages(soffice_pdf(long_docx), OUT / "word_long", dpi=60, pages=(1, 3))
        sections += ["### A long table: repeated header, 续表", "", "```python", LONG, 't.to_docx("long.docx")',
                     "```", "", *[f"![page {k}](_static/gallery/{p.name})" for k, p in enumerate(pages, 1)], ""]
        tex = work / "table.tex"
        tex.write_text("\\documentclass[UTF8]{ctexart}\n\\usepackage[a4paper,margin=2.5cm]{geometry}\n" + PREAMBLE
                       + _SISETUP + "\\pagestyle{empty}\n\\begin{document}\n" + table.to_latex()
                       + "\\end{document}\n", encoding="utf-8")
        subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", tex.name], cwd=work, check=True,
                       capture_output=True, timeout=300)
        latex = pdf_pages(work / "table.pdf", OUT / "latex_table")
        sections += ["## LaTeX (booktabs, siunitx, threeparttable)", "", "```python", TABLE,
                     'print(t.to_latex())   # needs: ' + PREAMBLE.replace("\n", " ").strip(), "```", "",
                     f"![LaTeX table](_static/gallery/{latex[0].name})", ""]
        xlsx = table.to_xlsx(work / "table.xlsx")
        excel = pdf_pages(soffice_pdf(xlsx), OUT / "excel_table")
        sections += ["## Excel (numbers stored as numbers)", "", "```python", TABLE, 't.to_xlsx("table.xlsx")',
                     "```", "", f"![Excel table](_static/gallery/{excel[0].name})", ""]
    PAGE.write_text("\n".join(sections) + "\n", encoding="utf-8")
    print(textwrap.shorten(f"wrote {PAGE} and {len(list(OUT.glob('*.png')))} pictures", 200))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
