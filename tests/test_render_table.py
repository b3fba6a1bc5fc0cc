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
