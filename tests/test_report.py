import io
import json

from shipline.report import Reporter, markdown_table, text_table


def make(fmt, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    rep = Reporter(format=fmt, stdout=out, stderr=err, summary_path=tmp_path / "summary.md", output_path=tmp_path / "output")
    return rep, out, err


def test_github_annotation_escapes_and_locates(tmp_path):
    rep, out, _ = make("github", tmp_path)
    rep.error("bad: 100%\nsecond line", file="src/a,b.py", line=3, col=5, title="rule: x")
    assert out.getvalue() == "::error file=src/a%2Cb.py,line=3,col=5,title=rule%3A x::bad: 100%25%0Asecond line\n"


def test_text_annotation_goes_to_stderr_with_location(tmp_path):
    rep, out, err = make("text", tmp_path)
    rep.warning("weak hash", file="app.py", line=7)
    assert out.getvalue() == ""
    assert err.getvalue() == "app.py:7: warning: weak hash\n"


def test_group_wraps_in_github_format(tmp_path):
    rep, out, _ = make("github", tmp_path)
    with rep.group("Build"):
        rep.info("hello")
    assert out.getvalue().splitlines() == ["::group::Build", "hello", "::endgroup::"]


def test_mask_redacts_everywhere_and_emits_add_mask(tmp_path):
    rep, out, _ = make("github", tmp_path)
    rep.mask("s3cr3t")
    rep.info("token is s3cr3t")
    rep.summary("| s3cr3t |")
    rep.output("token", "s3cr3t")
    assert out.getvalue().splitlines() == ["::add-mask::s3cr3t", "token is ***"]
    assert "s3cr3t" not in (tmp_path / "summary.md").read_text()
    assert "s3cr3t" not in (tmp_path / "output").read_text()


def test_a_multi_line_secret_is_redacted_line_by_line(tmp_path):
    # a step's log arrives a line at a time: a key's single line must not show either
    rep, out, _ = make("text", tmp_path)
    rep.mask("-----BEGIN KEY-----\nb3BlbnNzaC1rZXk\nQyNTUxOQAAACCl\n-----END KEY-----\n")
    rep.info("  QyNTUxOQAAACCl")
    rep.info("b3BlbnNzaC1rZXk then QyNTUxOQAAACCl")
    rep.info("-----BEGIN KEY-----\nb3BlbnNzaC1rZXk\nQyNTUxOQAAACCl\n-----END KEY-----\n")
    assert out.getvalue().splitlines() == ["  ***", "*** then ***", "***"]


def test_outputs_single_and_multiline(tmp_path):
    rep, _, _ = make("text", tmp_path)
    rep.output("count", 3)
    rep.output("list", ["a", "b"])
    rep.output("text", "line one\nline two")
    lines = (tmp_path / "output").read_text().splitlines()
    assert lines[0] == "count=3"
    assert lines[1] == 'list=["a", "b"]'
    name, delimiter = lines[2].split("<<")
    assert name == "text" and delimiter.startswith("ghadelimiter_")
    assert lines[3:] == ["line one", "line two", delimiter]


def test_summary_appends(tmp_path):
    rep, _, _ = make("text", tmp_path)
    rep.summary("# one")
    rep.summary("# two")
    assert (tmp_path / "summary.md").read_text() == "# one\n\n# two\n\n"


def test_json_format_prints_only_the_document(tmp_path):
    rep, out, _ = make("json", tmp_path)
    rep.info("not shown")
    rep.table(["a"], [[1]])
    rep.result(passed=3, failed=[])
    rep.finish()
    assert json.loads(out.getvalue()) == {"passed": 3, "failed": []}


def test_tables():
    assert markdown_table(["a", "b"], [[1, "x|y"]]) == "| a | b |\n|---|---|\n| 1 | x\\|y |\n"
    assert text_table(["name", "n"], [["ab", 10]]).splitlines() == ["name  n", "----  --", "ab    10"]


def test_markdown_format_prints_only_the_summary(tmp_path):
    rep, out, err = make("markdown", tmp_path)
    rep.info("for people")
    rep.table(["a"], [[1]])
    rep.warning("careful", file="x.py", line=2)
    rep.summary("### Title\n\n| a |\n|---|\n| 1 |")
    assert out.getvalue() == "### Title\n\n| a |\n|---|\n| 1 |\n\n"
    assert err.getvalue() == "x.py:2: warning: careful\n"
    assert (tmp_path / "summary.md").read_text().startswith("### Title")
