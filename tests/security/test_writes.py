"""Figures are written like every other output: never over a file the caller did not name for replacing."""

from __future__ import annotations

import pytest


def test_save_figure_never_replaces_a_file_it_was_not_told_to(tmp_path):
    import disparity as dp
    from disparity.errors import OutputExistsError

    fig = dp.gap_trend_plot(dp.datasets.province_panel(), "year", "benefit_gap")
    thesis = tmp_path / "chapter3.svg"
    thesis.write_text("my thesis figure")
    with pytest.raises(OutputExistsError, match="chapter3.svg"):
        dp.save_figure(fig, tmp_path / "chapter3")
    assert thesis.read_text() == "my thesis figure"
    assert not (tmp_path / "chapter3.png").exists()  # nothing written when one target exists
    paths = dp.save_figure(fig, tmp_path / "chapter3", overwrite=True)
    assert [p.name for p in paths] == ["chapter3.png", "chapter3.svg"]
    assert thesis.read_bytes().startswith(b"<?xml")
