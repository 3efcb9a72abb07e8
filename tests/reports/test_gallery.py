"""Issue 21 item 9: the docs gallery shows a rendered picture of every figure function and of the
Word, LaTeX and Excel tables, next to the code that made it (docs/make_gallery.py builds it)."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image

import disparity as dp

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "gallery.md"


def test_gallery_shows_every_output_beside_its_code():
    text = PAGE.read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\((_static/gallery/[^)]+\.png)\)", text)
    assert len(images) >= 12
    for rel in images:
        path = ROOT / "docs" / rel
        assert path.is_file(), rel
        with Image.open(path) as im:
            assert im.width > 200 and im.height > 100  # a rendered picture, not a placeholder
    for name in ("lorenz_plot", "gap_trend_plot", "coef_plot", "event_study_plot", "marginal_effects_plot",
                 "radar_chart", "region_bar_plot"):
        assert f"dp.{name}(" in text, name
        assert callable(getattr(dp, name))
    for section, call in (("## Word", "to_docx("), ("## LaTeX", "to_latex("), ("## Excel", "to_xlsx(")):
        part = text[text.index(section):]
        assert call in part.split("![")[0], section  # the code comes before its picture
    assert "gallery" in (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
