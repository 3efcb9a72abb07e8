import disparity.cli as cli


def test_demo_writes_report(tmp_path, capsys):
    assert cli.main(["demo", "--out", str(tmp_path / "demo"), "--skip-analyses"]) == 0
    html = (tmp_path / "demo" / "index.html").read_text(encoding="utf-8")
    assert "SYNTHETIC" in html and "合成数据" in html
    out = capsys.readouterr().out
    assert "gb18030" in out and "3,000 respondents" in out


def test_codebook_command_and_error_exit(tmp_path, capsys):
    assert cli.main(["codebook", "data/chifeng_survey_v117_gbk.dta", "--missing", "cfps"]) == 0
    out = capsys.readouterr().out
    assert "encoding: gb18030" in out and "是否支持城乡医保整合" in out
    assert cli.main(["codebook", str(tmp_path / "missing.dta")]) == 2
    assert "no such file" in capsys.readouterr().err
