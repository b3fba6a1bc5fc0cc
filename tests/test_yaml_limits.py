"""Profiles and waivers are YAML from shared repositories: reading them is bounded, and every
hostile case is one line on stderr naming the file and line, exit 2, nothing written."""
import resource
import subprocess
import sys

import pytest

from conftest import FIXTURES
from scanner import yamlfile

PLAN = FIXTURES / "aws-platform" / "compliant" / "plan.json"
WAIVER = "- control: ENC-01\n  resource: x\n  reason: r\n  approver: a\n  expires: 2999-01-01\n"


def laughs(levels=9, key="name"):
    """The "billion laughs": each anchor is nine aliases of the one before (9**9 strings)."""
    lines = ['x0: &x0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * 9) + "]")
    return lines


def _limited():
    # a regression must fail here, not take the machine's memory
    resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024 * 1024, 1536 * 1024 * 1024))


def run(tmp_path, *args):
    out = tmp_path / "out.json"
    r = subprocess.run([sys.executable, "-m", "scanner", "scan", PLAN, "-q", *map(str, args),
                        "--format", "json", "-o", out], capture_output=True, text=True, timeout=60,
                       preexec_fn=_limited)
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert r.stderr.count("\n") == 1 and len(r.stderr) < 400, r.stderr[:2000]
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    assert not out.exists() and not list(tmp_path.glob(".specguard-*"))
    return r.stderr


def profile(tmp_path, text):
    p = tmp_path / "profile.yaml"
    p.write_text(text)
    return run(tmp_path, "--profile", p)


def waivers(tmp_path, text):
    p = tmp_path / "w.yaml"
    p.write_text(text)
    return run(tmp_path, "--waivers", p)


def test_billion_laughs_in_a_profile_name(tmp_path):
    text = "description:\n" + "\n".join("  " + l for l in laughs()) + "\nname: *x8\n"
    err = profile(tmp_path, text)
    assert "profile.yaml:" in err and f"more than {yamlfile.MAX_NODES:,} values once aliases are expanded" in err


def test_billion_laughs_in_a_waiver_reason(tmp_path):
    text = "anchors:\n" + "\n".join("  " + l for l in laughs()) + "\nwaivers:\n" + \
        WAIVER.replace("reason: r", "reason: *x8").replace("\n  ", "\n    ").replace("- ", "  - ", 1)
    err = waivers(tmp_path, text)
    assert "w.yaml:" in err and "once aliases are expanded" in err


def test_long_text_repeated_by_aliases_is_bounded(tmp_path):
    """Few nodes, much text: a 1 MB string aliased 32 times."""
    text = "description:\n  s: &s " + "a" * 1_000_000 + "\n  l: [" + ", ".join(["*s"] * 32) + "]\n"
    err = profile(tmp_path, text)
    assert "profile.yaml:" in err and "MB of text once aliases are expanded" in err


def test_a_small_laugh_is_refused_as_a_name_in_a_short_message(tmp_path):
    """Under the limits a list is still not a name; the message does not quote all of it."""
    text = "description:\n" + "\n".join("  " + l for l in laughs(4)) + "\nname: *x3\n"
    err = profile(tmp_path, text)
    assert "profile.yaml:name: 'name' must be text, not a list" in err
    w = "anchors:\n" + "\n".join("  " + l for l in laughs(4)) + "\nwaivers:\n" + \
        WAIVER.replace("reason: r", "reason: *x3").replace("\n  ", "\n    ").replace("- ", "  - ", 1)
    err = waivers(tmp_path, w)
    assert "w.yaml:" in err and "waiver reason must be text, not a list ([[[" in err


def test_an_alias_to_a_value_that_contains_it(tmp_path):
    err = profile(tmp_path, "name: x\ndescription: &a [1, *a]\n")
    assert "profile.yaml:2:" in err and "an alias refers to a value that contains it" in err


@pytest.mark.parametrize("text", ["controls: " + "[" * 5000 + "]" * 5000 + "\n",
                                  "controls:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 200)),
                                  "controls: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n"])
def test_deep_nesting(tmp_path, text):
    err = profile(tmp_path, "name: x\n" + text)
    assert "profile.yaml:2:" in err or "profile.yaml:" in err
    assert f"nested more than {yamlfile.MAX_DEPTH} levels deep" in err


@pytest.mark.parametrize("text, where, kind", [
    ("name: x\n1: 2\n", "2:1", "a number 1 (quote it)"),
    ("name: x\ncontrols:\n  ? [ENC-01]\n  : true\n", "3:5", "a list"),
    ("name: x\ncontrols:\n  ENC-01:\n    params:\n      {a: 1}: 3\n", "5:7", "a mapping"),
    ("name: x\ncontrols:\n  true: {}\n", "3:3", "a boolean True (quote it)"),
    ("name: x\ncontrols:\n  null: {}\n", "3:3", "empty None (quote it)"),
])
def test_keys_must_be_text(tmp_path, text, where, kind):
    err = profile(tmp_path, text)
    assert f"profile.yaml:{where}: not valid YAML: a key must be text, not {kind}" in err


def test_a_waiver_key_must_be_text(tmp_path):
    err = waivers(tmp_path, WAIVER + "  [x]: y\n")
    assert "w.yaml:6:3: not valid YAML: a key must be text, not a list" in err


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x07", "\ufffe"])
def test_a_character_yaml_does_not_allow_is_one_line(tmp_path, char):
    err = profile(tmp_path, f"name: x\nsystem: 'ok{char}'\n")
    assert f"profile.yaml:2:12: not valid YAML: character U+{ord(char):04X} is not allowed" in err
    err = waivers(tmp_path, WAIVER.replace("reason: r", f"reason: r{char}"))
    assert f"w.yaml:3:12: not valid YAML: character U+{ord(char):04X} is not allowed" in err


def test_a_file_larger_than_the_limit(tmp_path):
    p = tmp_path / "w.yaml"
    with open(p, "wb") as fh:
        fh.truncate(yamlfile.MAX_BYTES + 1)    # sparse: only the limit is read
    err = run(tmp_path, "--waivers", p)
    assert f"w.yaml: waivers file is larger than {yamlfile.MAX_BYTES // 2**20} MB" in err


def test_not_utf8_names_the_line(tmp_path):
    p = tmp_path / "w.yaml"
    p.write_bytes(WAIVER.replace("reason: r", "reason: caf\xe9").encode("latin-1"))
    err = run(tmp_path, "--waivers", p)
    assert "w.yaml:3: cannot read waivers file: not UTF-8 text (byte 0xe9)" in err


def test_anchors_aliases_and_merges_people_write_still_work(tmp_path, run_cli):
    prof = tmp_path / "p.yaml"
    prof.write_text("name: shared\ncontrols:\n  ENC-01: &strict\n    severity: critical\n"
                    "  ENC-02:\n    <<: *strict\n    enabled: false\n")
    w = tmp_path / "w.yaml"
    w.write_text("- control: ENC-01\n  resource: a\n  reason: r\n  approver: &ciso ciso@example.com\n"
                 "  expires: 2999-01-01\n- control: ENC-01\n  resource: b\n  reason: r\n  approver: *ciso\n"
                 "  expires: 2999-01-01\n")
    out = tmp_path / "r.json"
    r = run_cli("scan", PLAN, "-q", "--profile", prof, "--waivers", w, "--format", "json", "-o", out)
    assert r.returncode in (0, 1), r.stderr
    import json
    doc = json.loads(out.read_text())
    sev = {c["id"]: c["severity"] for c in doc["controls"]}
    assert sev["ENC-01"] == "critical" and "ENC-02" not in sev or sev.get("ENC-02") == "critical"
    assert [w["approver"] for w in doc["waivers"]] == ["ciso@example.com", "ciso@example.com"]


@pytest.mark.parametrize("value, needle", [
    ("1" + "0" * 5000, f"a number of 5001 digits (at most {yamlfile.MAX_DIGITS})"),   # Python's int() refuses it
    (".nan", "'.nan' is not a finite number"),
    ("-.inf", "'-.inf' is not a finite number"),
    ("1.0e+999", "'1.0e+999' is not a finite number"),
    ("1." + "0" * 5000 + "e+999", "is not a finite number"),
])
def test_numbers_that_are_not_usable_numbers(tmp_path, value, needle):
    err = profile(tmp_path, f"name: x\ncontrols:\n  BAK-01:\n    params:\n      min_retention_days: {value}\n")
    assert "profile.yaml:5:27: not valid YAML: " in err and needle in err
    err = waivers(tmp_path, WAIVER.replace("reason: r", f"reason: {value}"))
    assert "w.yaml:3:11: not valid YAML: " in err and needle in err


def test_the_checkov_mapping_is_read_within_the_same_limits(tmp_path):
    from scanner.checkov.results import load_mapping
    from scanner.errors import InputError
    p = tmp_path / "map.yaml"
    p.write_text("\n".join(laughs()) + "\nCKV_AWS_16: *x8\n")
    with pytest.raises(InputError, match=r"map\.yaml:\d+:\d+: not valid YAML: more than .* values once aliases"):
        load_mapping(str(p))
    p.write_text("CKV_AWS_16: [CC6.1]\nCKV_AWS_157:\n  soc2: [A1.2]\n  severity: medium-high\n")
    assert load_mapping(str(p))["CKV_AWS_157"] == {"soc2": ["A1.2"], "severity": "medium-high"}
