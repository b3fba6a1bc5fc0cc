"""A `.tf` scan imports only what it uses (issue 12's speed condition: start-up is most of a small scan).

What is checked is what a scan must not load, each for a reason in the code: the other commands'
modules (audit options, the executor, baselines), what only a rare path needs (importlib.resources
for --print-role, tempfile on the rescue path of a failed write, redaction when nothing from outside
is printed, urllib.parse for URL-encoded policies), and what staging outputs no longer needs
(tempfile, secrets).  Timing is measured in bench/bench_startup.py, never asserted here.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from bench_hcl import generate  # noqa: E402  (the bench's generator: a realistic .tf tree)

NOT_AT_START = (
    "scanner.sources.aws.cli", "scanner.sources.azure.cli", "scanner.executor", "scanner.baseline",
    "scanner.redact", "importlib.resources", "pathlib", "tempfile", "shutil", "secrets", "random",
    "urllib.parse", "argparse",
    # a live audit's held findings (pickle, zlib), mappers of types the tree does not have (mapper_index.py)
    "scanner.held", "pickle", "zlib",
    # OpenSSL's hashlib (scanner/digest.py hashes what a .tf scan hashes), the HTML renderer on a JSON run
    "hashlib", "_hashlib", "scanner.render.html",
    "scanner.sources.terraform.map_iam", "scanner.sources.terraform.map_azapi", "scanner.sources.azure.arm_map",
)

CODE = """
import json, sys
from scanner.cli import main
rc = main(["scan", sys.argv[1], "--format", "json", "--output", sys.argv[2]])
print(json.dumps({"rc": rc, "modules": sorted(sys.modules)}))
"""


def test_a_tf_scan_loads_none_of_what_it_does_not_use(tmp_path):
    tree = tmp_path / "tree"
    generate(str(tree), 40)
    out = tmp_path / "results.json"
    env = {k: v for k, v in os.environ.items() if k != "SPECGUARD_STORE"}
    r = subprocess.run([sys.executable, "-c", CODE, str(tree), str(out)], capture_output=True, text=True,
                       timeout=120, env=env)
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["rc"] in (0, 1), r.stderr
    assert json.loads(out.read_text())["findings"], "the scan found nothing: the check would prove nothing"
    assert "specguard: gate" in r.stderr   # the summary line was said (without loading redact)
    # what the interpreter loads before specguard runs (an editable install's finder imports pathlib)
    bare = subprocess.run([sys.executable, "-c", "import json, sys; print(json.dumps(sorted(sys.modules)))"],
                          capture_output=True, text=True, timeout=60, env=env)
    loaded = set(got["modules"]) - set(json.loads(bare.stdout))
    assert not loaded & set(NOT_AT_START), sorted(loaded & set(NOT_AT_START))


def test_the_audit_commands_are_declared_when_asked_for(run_cli):
    r = run_cli("audit", "azure", "--print-role")
    assert r.returncode == 0 and json.loads(r.stdout)["Actions"], r.stderr
