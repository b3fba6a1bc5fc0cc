"""The command line on click (issue 14, points 2, 5 and 7): one-line usage errors naming the command
with suggestions, help with every option described, examples and exit statuses, --format/-o pairs
in order, a summary line for a gate that writes only files, a table as wide as the terminal."""
from __future__ import annotations

import os
import pty
import re
import select
import struct
import subprocess
import sys

import click
import pytest

from conftest import FIXTURES
from scanner.cli import parse_args

PLAN = FIXTURES / "aws-platform" / "violating" / "plan.json"
CLEAN = FIXTURES / "aws-platform" / "compliant" / "plan.json"


# ----------------------------------------------------------------------------- usage errors
USAGE = [
    (["scan", str(PLAN), "--fial-on", "high"],
     "specguard scan: no such option --fial-on (did you mean --fail-on?); see specguard scan --help"),
    (["scna", str(PLAN)], "specguard: no such command scna (did you mean scan?); see specguard --help"),
    (["audit", "asw"], "specguard audit: no such command asw (did you mean aws?); see specguard audit --help"),
    (["scan"], "specguard scan: missing PATH; see specguard scan --help"),
    (["scan", str(PLAN), "--format"],
     "specguard scan: option '--format' requires an argument; see specguard scan --help"),
    (["audit"], "specguard audit: a cloud is needed: specguard audit aws or specguard audit azure; "
                "see specguard audit --help"),
    (["audit", "aws", "--timeout", "0"],
     "specguard audit aws: --timeout: must be a number of seconds more than 0; see specguard audit aws --help"),
    (["audit", "azure", "--strategy", "fast"],
     "specguard audit azure: --strategy: 'fast' is not one of 'arm', 'graph'; see specguard audit azure --help"),
]


@pytest.mark.parametrize("argv,line", USAGE)
def test_bad_usage_is_one_line_naming_the_command_and_its_help(run_cli, tmp_path, argv, line):
    r = run_cli(*argv, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert r.stderr == line + "\n"
    assert r.stdout == "" and list(tmp_path.iterdir()) == []


def test_report_without_results_is_one_line(run_cli):
    r = run_cli("report")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "RESULTS.json" in r.stderr, r.stderr


def test_usage_errors_escape_what_the_user_typed(run_cli):
    r = run_cli("scan", str(PLAN), "--\x1b[2Jx")
    assert r.returncode == 2 and "\x1b" not in r.stderr and "\\x1b[2Jx" in r.stderr


def test_no_command_prints_the_help_on_stderr_with_exit_2(run_cli):
    r = run_cli()
    assert r.returncode == 2 and r.stdout == "" and "Commands:" in r.stderr


# ----------------------------------------------------------------------------- help
def _commands():
    from scanner.commands import cli
    out = []

    def walk(cmd, path):
        out.append((path, cmd))
        if isinstance(cmd, click.Group):   # through click's API: some subcommands are declared on first use
            ctx = click.Context(cmd)
            for name in cmd.list_commands(ctx):
                walk(cmd.get_command(ctx, name), path + [name])
    walk(cli, [])
    return out


@pytest.mark.parametrize("path", [p for p, _ in _commands()], ids=lambda p: " ".join(p) or "specguard")
def test_help_describes_every_option_with_examples_and_exit_statuses(run_cli, path):
    cmd = dict((tuple(p), c) for p, c in _commands())[tuple(path)]
    for param in cmd.params:
        if isinstance(param, click.Option):
            assert param.help and len(param.help) > 10, (path, param.name)
    r = run_cli(*path, "--help", env={"COLUMNS": "100"})
    assert r.returncode == 0 and r.stderr == ""
    text = r.stdout
    assert text.startswith(f"Usage: specguard {' '.join(path)}".rstrip())
    assert re.search(r"Examples:\n +(specguard|terraform) ", text), text
    assert "Exit status" in text
    for param in cmd.params:
        if isinstance(param, click.Option):
            assert param.opts[0] in text
        elif isinstance(param, click.Argument):   # arguments are described in the text
            described = text.split("Options:")[0].split("\n", 2)[2]
            for name in re.findall(r"[A-Za-z][A-Za-z._]*", param.human_readable_name):
                assert name.rstrip(".") in described, (path, name)
    if path in (["scan"], ["audit", "aws"], ["audit", "azure"], []):
        assert "2  the input or the options were wrong" in text and "3  the scan could not run" in text


def test_version_is_answered_without_loading_click(run_cli):
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.startswith("specguard ") and r.stderr == ""
    code = "import sys, scanner.cli as c; c.main(['--version']); print(sorted(m for m in sys.modules if m == 'click'))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.splitlines()[-1] == "[]", r.stdout + r.stderr


# ----------------------------------------------------------------------------- --format / -o pairs
PAIRS = [
    (["--format", "json", "-o", "a.json", "--format", "html", "-o", "b.html"],
     [("json", "a.json"), ("html", "b.html")]),
    (["-o", "a.json", "--format", "html"], [(None, "a.json"), ("html", None)]),
    (["-f", "sarif", "-f", "json", "-o", "x.json", "--output=y.md", "-fjunit", "-oz.xml"],
     [("sarif", None), ("json", "x.json"), (None, "y.md"), ("junit", "z.xml")]),
    (["--format=table", "--show-pass", "-o", "-", "--fail-on", "high", "--format", "json", "-q", "-o", "r.json"],
     [("table", "-"), ("json", "r.json")]),
    ([], None),
]


@pytest.mark.parametrize("opts,pairs", PAIRS)
def test_format_and_output_pair_in_the_order_given(opts, pairs):
    args = parse_args(["scan", "plan.json", *opts])
    got = None if args.outputs is None else [(o["format"], o["path"]) for o in args.outputs]
    assert got == pairs
    assert args.paths == ["plan.json"] and args.command == "scan"


def test_every_documented_default_and_repeated_option_reaches_the_command():
    a = parse_args(["scan", "p.json", "x/", "--var", "a=1", "--var", "b=2", "--var-file", "v.tfvars"])
    assert (a.fail_on, a.allow_unknown, a.quiet, a.show_pass, a.profile, a.waivers) == ("low", False, False, False,
                                                                                         None, None)
    assert a.var == ["a=1", "b=2"] and a.var_file == ["v.tfvars"] and a.paths == ["p.json", "x/"]
    a = parse_args(["audit", "aws", "--regions", "us-east-1,eu-west-1", "--regions", "eu-central-1"])
    assert (a.command, a.cloud, a.concurrency, a.max_attempts, a.timeout) == ("audit", "aws", 16, 5, 30.0)
    assert a.regions == ["us-east-1,eu-west-1", "eu-central-1"]
    a = parse_args(["audit", "azure", "--subscription", "00000000-0000-0000-0000-0000000000a1"])
    assert (a.cloud, a.strategy, a.max_retries, a.timeout, a.azure_cloud) == ("azure", "arm", 3, 60.0, None)
    assert a.subscription == ["00000000-0000-0000-0000-0000000000a1"]


# ----------------------------------------------------------------------------- the gate's summary line
def test_a_gate_that_writes_only_files_says_so_on_one_line(run_cli, tmp_path):
    r = run_cli("scan", PLAN, "--format", "html", "-o", tmp_path / "r.html", "--format", "json",
                "-o", tmp_path / "r.json")
    assert r.returncode == 1 and r.stdout == ""
    import json
    doc = json.loads((tmp_path / "r.json").read_text())
    s = doc["summary"]
    fails = sum(1 for f in doc["findings"] if f["status"] == "fail")
    unknowns = sum(1 for f in doc["findings"] if f["status"] == "unknown")
    assert r.stderr == (f"specguard: gate failed: {fails} fail and {unknowns} unknown at or above low; all findings: "
                        f"{s['pass']} pass, {s['fail']} fail, {s['unknown']} unknown, {s['waived']} waived; "
                        f"wrote {tmp_path / 'r.html'}, {tmp_path / 'r.json'}\n")
    # a higher threshold counts only what is at or above it; --allow-unknown leaves unknowns out
    r = run_cli("scan", PLAN, "--fail-on", "critical", "--allow-unknown", "-o", tmp_path / "r.json")
    assert r.returncode == 0
    assert r.stderr.startswith("specguard: gate passed: 0 fail at or above critical (unknown allowed); all findings:")
    r = run_cli("scan", PLAN, "--fail-on", "none", "-o", tmp_path / "r.json")
    assert r.returncode == 0 and r.stderr.startswith("specguard: gate off (--fail-on none); ")


def test_no_summary_line_when_quiet_or_when_the_table_is_printed(run_cli, tmp_path):
    r = run_cli("scan", CLEAN, "-q", "-o", tmp_path / "r.json")
    assert r.returncode == 0 and r.stderr == ""
    r = run_cli("scan", CLEAN, "--format", "table", "--format", "json", "-o", tmp_path / "r.json")
    assert r.returncode == 0 and r.stderr == "" and " pass, 0 fail" in r.stdout


# ----------------------------------------------------------------------------- the table's width
def _on_a_terminal(argv, columns: int, rows: int = 50) -> str:
    """Run specguard with stdout on a pseudo-terminal of the given size; what it printed."""
    import fcntl
    import termios
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    p = subprocess.Popen([sys.executable, "-m", "scanner", *map(str, argv)], stdout=slave,
                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif p.poll() is not None:
            break
    p.wait(timeout=60)
    os.close(master)
    return re.sub(r"\x1b\[[0-9;]*m", "", out.decode("utf-8", "replace")).replace("\r\n", "\n")


@pytest.mark.parametrize("columns", [80, 120])
def test_the_table_fits_the_terminal(columns):
    text = _on_a_terminal(["scan", PLAN, "--fail-on", "none"], columns)
    lines = text.splitlines()
    table = [line for line in lines if line[:1] in "┏┃┡│└"]
    assert len(table) > 40
    assert max(len(line) for line in table) <= columns
    assert max(len(line) for line in table) >= columns - 10      # and uses the width it has


def test_piped_the_table_is_plain_aligned_lines_or_columns_wide(run_cli):
    r = run_cli("scan", PLAN, "--fail-on", "none", env={"COLUMNS": ""})
    rows = r.stdout.splitlines()
    assert rows[0].startswith("Findings (") and not any(c in r.stdout for c in "┏┃│")
    fails = [line for line in rows if line.startswith("fail ")]
    from scanner.controls import load_rules
    ids = set(load_rules())   # the control id sits in its own aligned column, whatever the catalogue holds
    assert fails and all(line[9:16].rstrip() in ids for line in fails)
    r = run_cli("scan", PLAN, "--fail-on", "none", env={"COLUMNS": "100"})
    table = [line for line in r.stdout.splitlines() if line[:1] in "┏┃┡│└"]
    assert table and max(len(line) for line in table) <= 100
