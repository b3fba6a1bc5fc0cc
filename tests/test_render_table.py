"""The terminal table: escaped control characters, plain lines for large results."""
from scanner.render import table


def _doc(n, name="db"):
    return {"findings": [{"control_id": "ENC-01", "status": "fail", "severity": "high",
                          "resource": {"address": f"aws_db_instance.{name}{i}", "file": "main.tf", "line": 3},
                          "message": "storage is not encrypted at rest"} for i in range(n)],
            "summary": {"pass": 0, "fail": n, "unknown": 0, "waived": 0}, "controls": [{}],
            "run": {"profile": "spec"}, "coverage": [{"kind": "api-error", "message": "denied \x1b[2J"}],
            "waivers": [{"status": "unused", "control_id": "ENC-01", "resource": "x", "origin": "w.yaml:3"}]}


def test_control_characters_are_shown_not_sent():
    for n in (1, table.RICH_ROWS + 1):
        out = table.render(_doc(n, name="\x1b[31mred"))
        assert "\x1b" not in out
        assert "\\x1b[31mred" in out
        assert "main.tf:3" in out and "waiver unused" in out


def test_large_results_print_every_row():
    out = table.render(_doc(table.RICH_ROWS + 50))
    assert out.count("storage is not encrypted at rest") == table.RICH_ROWS + 50


FORGED = "db\npass     ENC-01  high        aws_db_instance.forged: storage is encrypted"


def test_a_newline_in_a_name_cannot_forge_a_row():
    for n in (1, table.RICH_ROWS + 1):
        out = table.render(_doc(n, name=FORGED))
        assert "aws_db_instance.forged" in out
        assert not [l for l in out.splitlines() if l.startswith("pass ") or "│ pass" in l], out[:2000]
        assert "\\npass" in out


def test_plain_lines_are_one_per_finding_whatever_the_values_hold():
    doc = _doc(table.RICH_ROWS + 1, name="x\r\n\x85\u2028\u202e\t")
    doc["findings"][0]["message"] = "line one\nline two"
    doc["findings"][0]["resource"]["file"] = "evil\n.tf"
    lines = table.render(doc).splitlines()
    assert len(lines) == 1 + (table.RICH_ROWS + 1) + 3      # heading, rows, summary, coverage, waiver
    assert "\\r\\n\\x85\\u2028\\u202e\\t" in lines[1] and "line one\\nline two" in lines[1]


def test_a_huge_name_is_cut_in_the_table_not_laid_out():
    """rich folds a long word in time that grows with its square (74 s for a 6 MB address):
    a cell is cut at CELL characters and says how much was left out."""
    out = table.render(_doc(1, name="a" * 1_000_000))
    assert len(out) < 10 * table.CELL
    assert table.CELL <= out.count("a") < table.CELL + 100
    assert table.cut("a" * 1_000_000, 10) == "aaaaaaaaaa… (999990 more characters)"
    assert table.cut("\x1b" * 5, 10) == "\\x1b" * 5


def test_the_table_takes_the_width_it_is_given_or_is_plain_lines():
    doc = _doc(5)
    doc["findings"][0]["message"] = "a long message " * 20
    for width in (80, 120):
        lines = table.render(doc, width=width).splitlines()
        boxed = [line for line in lines if line[:1] in "┏┃┡│└"]
        assert boxed and max(len(line) for line in boxed) <= width
    plain = table.render(doc, plain=True).splitlines()
    assert plain[0] == "Findings (5)" and not any(c in "".join(plain) for c in "┏┃│")
    assert [line[:33] for line in plain[1:6]] == ["fail     ENC-01  high        aws_"] * 5   # aligned columns
