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


def _boom(args):
    raise ZeroDivisionError("float division by zero")


def test_unexpected_exceptions_become_one_error_line(monkeypatch, capsys):
    monkeypatch.setattr(cli, "cmd_codebook", _boom)
    assert cli.main(["codebook", "x.dta"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("disparity: error: ZeroDivisionError: float division by zero")
    assert "--traceback" in err and "Traceback (most recent call last)" not in err


def test_traceback_flag_shows_the_traceback(monkeypatch, capsys):
    monkeypatch.setattr(cli, "cmd_codebook", _boom)
    for argv in (["--traceback", "codebook", "x.dta"], ["codebook", "x.dta", "--traceback"]):
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert "Traceback (most recent call last)" in err and "_boom" in err
        assert err.rstrip().splitlines()[-1] == "disparity: error: ZeroDivisionError: float division by zero"


def test_memory_errors_and_interrupts(monkeypatch, capsys):
    def oom(args):
        raise MemoryError

    def interrupt(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "cmd_codebook", oom)
    assert cli.main(["codebook", "x"]) == 2
    assert capsys.readouterr().err.startswith("disparity: error: MemoryError")
    monkeypatch.setattr(cli, "cmd_codebook", interrupt)
    assert cli.main(["codebook", "x"]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_bad_spec_is_an_error_line_not_a_traceback(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text('title = "t"\n[data]\ndataset = "chifeng_survey"\n[[models]]\nname = "m"\n'
                    'formula = "reimbursed ~ age + {open(\'PWNED\', \'w\')}"\n', encoding="utf-8")
    assert cli.main(["report", str(spec), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("disparity: error: Formula") and "not allowed" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_codebook_html_does_not_replace_a_file(tmp_path, capsys):
    target = tmp_path / "book.html"
    target.write_text("mine", encoding="utf-8")
    argv = ["codebook", "data/chifeng_survey_v117_gbk.dta", "--html", str(target)]
    assert cli.main(argv) == 2
    assert "already exists" in capsys.readouterr().err and target.read_text(encoding="utf-8") == "mine"
    assert cli.main([*argv, "--overwrite"]) == 0
    assert "是否支持城乡医保整合" in target.read_text(encoding="utf-8")


def test_demo_does_not_replace_a_file_it_did_not_write(tmp_path, capsys):
    (tmp_path / "index.html").write_text("<html>my site</html>", encoding="utf-8")
    assert cli.main(["demo", "--out", str(tmp_path), "--skip-analyses"]) == 2
    assert "not written by 'disparity demo'" in capsys.readouterr().err
    assert (tmp_path / "index.html").read_text(encoding="utf-8") == "<html>my site</html>"
