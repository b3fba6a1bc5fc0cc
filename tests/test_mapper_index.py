"""mapper_index.TYPES is what the map_* modules register: normalize() imports a mapper module only
for the types the index gives it, so a type missing from the index would silently get no mapper."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from scanner.sources.terraform import mapper_index, normalize as norm


def registered() -> dict[str, set[str]]:
    """module -> the types it registers a mapper or an adder for, with every map_* module imported."""
    norm._load_mappers()
    out: dict[str, set[str]] = {}
    for t, (_kind, func) in norm.MAPPERS.items():
        out.setdefault(func.__module__.rsplit(".", 1)[1], set()).add(t)
    for t, funcs in norm.ADDERS.items():
        for func in funcs:
            out.setdefault(func.__module__.rsplit(".", 1)[1], set()).add(t)
    return out


def test_the_index_is_what_the_modules_register():
    got = registered()
    assert len(got) > 15 and sum(map(len, got.values())) > 80   # every module was imported
    wrong = {m: sorted(got.get(m, ())) for m in set(got) | set(mapper_index.TYPES)
             if got.get(m, set()) != set(mapper_index.TYPES.get(m, ()))}
    assert not wrong, "scanner/sources/terraform/mapper_index.py TYPES should say:\n" + "\n".join(
        f'    "{m}": {tuple(types)!r},' for m, types in sorted(wrong.items()))


def test_adders_run_in_module_order_whichever_module_came_first():
    got = registered()
    assert any(len(fs) > 1 for fs in norm.ADDERS.values())
    for t, funcs in norm.ADDERS.items():
        assert [f.__module__ for f in funcs] == sorted(f.__module__ for f in funcs), t
    assert got   # (the modules were imported by registered())


# a fresh interpreter: what normalize() imports for a project of two types, and the mappers it runs
CODE = """
import json, sys
from scanner.sources.terraform.hcl import load_dir
from scanner.sources.terraform.normalize import MAPPERS, normalize
project = load_dir(sys.argv[1])
resources = normalize(project)
print(json.dumps({"modules": sorted(m.rsplit(".", 1)[1] for m in sys.modules
                                    if m.startswith("scanner.sources.terraform.map_")),
                  "kinds": {r.address: r.kind for r in resources},
                  "fields": {r.address: sorted(r.fields) for r in resources}}))
"""


def test_a_scan_imports_only_the_mappers_its_types_need(tmp_path):
    (tmp_path / "main.tf").write_text('''
resource "aws_s3_bucket" "b" {
  bucket = "logs"
}
resource "aws_kms_key" "k" {
  enable_key_rotation = true
}
''')
    r = subprocess.run([sys.executable, "-c", CODE, str(tmp_path)], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONHASHSEED": "0"})
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout.strip().splitlines()[-1])
    needed = {m for m, types in mapper_index.TYPES.items() if {"aws_s3_bucket", "aws_kms_key"} & set(types)}
    # map_data (helpers, no registration) comes with them; nothing else
    assert set(got["modules"]) - {"map_data"} == needed, got["modules"]
    assert "map_iam" not in got["modules"] and "map_azapi" not in got["modules"]
    assert got["kinds"] == {"aws_s3_bucket.b": "object_store", "aws_kms_key.k": "kms_key"}
    # the adder of another module (map_dr's S3 replication) ran on the bucket
    assert "cross_region_replica" in got["fields"]["aws_s3_bucket.b"]
