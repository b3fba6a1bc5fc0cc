"""Modules `terraform init` downloaded (.terraform/modules/modules.json, issue 12 class 11) and the
paths a .tf scan reads (issue 13): local sources outside the tree, symlinks, loops, file sizes."""
import json
import os

import pytest

from conftest import write_tree

from scanner.errors import InputError
from scanner.results import Run
from scanner.sources.terraform import hcl
from scanner.sources.terraform.hcl_limits import MAX_FILE_BYTES
from scanner.values import Unknown


def findings(project, control_id):
    from scanner.engine import evaluate
    from scanner.link import link
    from scanner.profile import spec_profile
    from scanner.sources.terraform.normalize import normalize

    prof = spec_profile()
    for cid, cs in prof.controls.items():
        cs.enabled = cid == control_id
    return {f.resource.address: f for f in evaluate(link(normalize(project)), prof)}


def manifest(*entries) -> str:
    mods = [{"Key": "", "Source": "", "Dir": "."}]
    mods += [dict(zip(("Key", "Source", "Version", "Dir"), e)) for e in entries]
    return json.dumps({"Modules": mods}, indent=2)


ROOT = '''
    module "db" {
      source  = "terraform-aws-modules/rds/aws"
      version = "~> 6.0"
      identifier = "orders"
    }
    module "keys" {
      source = "github.com/acme/terraform-kms?ref=v2.1.0"
    }
    resource "aws_db_instance" "reporting" {
      identifier        = "reporting"
      storage_encrypted = true
      kms_key_id        = module.keys.key_arn
    }
'''
# what terraform init leaves behind: the registry package, with a local submodule and a nested registry call
DOWNLOADED = {
    ".terraform/modules/db/main.tf": '''
        variable "identifier" { type = string }
        variable "storage_encrypted" {
          type    = bool
          default = false
        }
        module "db_instance" {
          source            = "./modules/db_instance"
          identifier        = var.identifier
          storage_encrypted = var.storage_encrypted
        }
        module "monitoring_role" {
          source  = "terraform-aws-modules/iam/aws//modules/iam-assumable-role"
          version = "~> 5.0"
        }
    ''',
    ".terraform/modules/db/modules/db_instance/main.tf": '''
        variable "identifier" { type = string }
        variable "storage_encrypted" { type = bool }
        resource "aws_db_instance" "this" {
          identifier        = var.identifier
          storage_encrypted = var.storage_encrypted
        }
    ''',
    ".terraform/modules/db.monitoring_role/modules/iam-assumable-role/main.tf": '''
        resource "aws_iam_role" "this" {
          name = "rds-monitoring"
        }
    ''',
    ".terraform/modules/keys/main.tf": '''
        resource "aws_kms_key" "this" {
          enable_key_rotation = true
        }
        output "key_arn" { value = aws_kms_key.this.arn }
    ''',
    ".terraform/modules/modules.json": manifest(
        ("db", "registry.terraform.io/terraform-aws-modules/rds/aws", "6.10.0", ".terraform/modules/db"),
        ("db.db_instance", "./modules/db_instance", None, ".terraform/modules/db/modules/db_instance"),
        ("db.monitoring_role", "registry.terraform.io/terraform-aws-modules/iam/aws//modules/iam-assumable-role",
         "5.48.0", ".terraform/modules/db.monitoring_role/modules/iam-assumable-role"),
        ("keys", "git::https://github.com/acme/terraform-kms.git?ref=v2.1.0", None, ".terraform/modules/keys"),
    ),
}


def test_downloaded_modules_are_followed_and_recorded(tmp_path):
    write_tree(tmp_path, {"main.tf": ROOT, **DOWNLOADED})
    run = Run()
    p = hcl.load_dir(str(tmp_path), run=run)
    addrs = {r.address for r in p.resources}
    assert {"module.db.module.db_instance.aws_db_instance.this", "module.db.module.monitoring_role.aws_iam_role.this",
            "module.keys.aws_kms_key.this", "aws_db_instance.reporting"} <= addrs
    assert not [c for c in run.coverage if c["kind"] == "module-not-followed"]
    inner = p.by_address()["module.db.module.db_instance.aws_db_instance.this"]
    assert inner.file == ".terraform/modules/db/modules/db_instance/main.tf"
    # the registry module's default (false) reaches the instance: a finding, not a module not followed
    assert findings(p, "ENC-01")["module.db.module.db_instance.aws_db_instance.this"].status == "fail"
    # references go through the downloaded module's output to its key
    assert p.by_address()["aws_db_instance.reporting"].refs("kms_key_id") == ["module.keys.aws_kms_key.this"]
    files = {f["path"] for f in hcl.source_record(p)["files"]}
    assert {".terraform/modules/db/main.tf", ".terraform/modules/keys/main.tf",
            ".terraform/modules/db.monitoring_role/modules/iam-assumable-role/main.tf"} <= files


def test_module_not_downloaded_is_not_followed_and_its_outputs_say_why(tmp_path):
    write_tree(tmp_path, {"main.tf": ROOT})
    run = Run()
    p = hcl.load_dir(str(tmp_path), run=run)
    nf = {c["module"]: c["message"] for c in run.coverage if c["kind"] == "module-not-followed"}
    assert nf["module.keys"] == ("module.keys: source 'github.com/acme/terraform-kms?ref=v2.1.0' is not followed: "
                                 "terraform init has not downloaded it; its resources are not scanned")
    assert set(nf) == {"module.db", "module.keys"}
    kms = p.by_address()["aws_db_instance.reporting"].values["kms_key_id"]
    assert isinstance(kms, Unknown)
    assert ("module.keys.key_arn comes from module keys (git source github.com/acme/terraform-kms?ref=v2.1.0) "
            "that terraform init has not downloaded") in kms.reason
    assert findings(p, "ENC-01")["aws_db_instance.reporting"].status == "unknown"


def test_manifest_entry_missing_on_disk_or_from_another_source(tmp_path):
    files = {"main.tf": ROOT, **DOWNLOADED}
    del files[".terraform/modules/keys/main.tf"]
    files[".terraform/modules/modules.json"] = manifest(
        ("db", "registry.terraform.io/terraform-aws-modules/rdss/aws", "6.10.0", ".terraform/modules/db"),
        ("keys", "git::https://github.com/acme/terraform-kms.git?ref=v2.1.0", None, ".terraform/modules/keys"))
    run = Run()
    hcl.load_dir(str(write_tree(tmp_path, files)), run=run)
    nf = {c["module"]: c["message"] for c in run.coverage if c["kind"] == "module-not-followed"}
    assert "terraform init has not downloaded it" in nf["module.keys"]
    assert ("records it from registry.terraform.io/terraform-aws-modules/rdss/aws: the source changed since "
            "terraform init (run it again)") in nf["module.db"]


def test_manifest_cannot_send_the_scan_outside_the_modules_directory(tmp_path):
    outside = write_tree(tmp_path / "elsewhere", {"main.tf": 'resource "aws_kms_key" "planted" {}\n'})
    files = {"main.tf": 'module "keys" {\n  source = "acme/kms/aws"\n}\n',
             ".terraform/modules/modules.json": manifest(("keys", "acme/kms/aws", "1.0.0", str(outside)))}
    run = Run()
    p = hcl.load_dir(str(write_tree(tmp_path / "root", files)), run=run)
    assert not p.resources
    nf = [c["message"] for c in run.coverage if c["kind"] == "module-not-followed"]
    assert nf and "places it outside the directory terraform init downloads modules to" in nf[0]


def test_local_path_leaving_a_downloaded_package_is_not_followed(tmp_path):
    files = {"main.tf": 'module "net" {\n  source = "acme/net/aws"\n}\n',
             "secrets/main.tf": 'resource "aws_kms_key" "k" {}\n',
             ".terraform/modules/net/main.tf": 'module "up" {\n  source = "../../../secrets"\n}\n',
             ".terraform/modules/modules.json": manifest(("net", "acme/net/aws", "1.0.0", ".terraform/modules/net"))}
    run = Run()
    p = hcl.load_dir(str(write_tree(tmp_path, files)), run=run)
    assert not p.resources
    nf = [c["message"] for c in run.coverage if c["kind"] == "module-not-followed"]
    assert nf == ["module.net.module.up: source '../../../secrets' is not followed: its local path leaves the "
                  "package terraform init downloaded for module.net; its resources are not scanned"]


def test_malformed_manifest_is_an_input_error(tmp_path):
    write_tree(tmp_path, {"main.tf": ROOT, ".terraform/modules/modules.json": '{"Modules": [{"Key": 1}]}'})
    with pytest.raises(InputError) as e:
        hcl.load_dir(str(tmp_path))
    assert str(e.value) == (f"{tmp_path}/.terraform/modules/modules.json: Modules[0] is not a module entry "
                            f"(Key, Source and Dir strings); run terraform init again")


# ----------------------------------------------------------------------------- paths (issue 13)
SHARED_DB = {"main.tf": '''
    variable "name" { type = string }
    resource "aws_db_instance" "this" {
      identifier        = var.name
      storage_encrypted = false
    }
'''}


def test_local_source_outside_the_tree_is_followed_and_said(tmp_path):
    write_tree(tmp_path / "shared", {**SHARED_DB, "params.tf": 'module "params" {\n  source = "./params"\n}\n',
                                     "params/main.tf": 'resource "aws_db_parameter_group" "this" {}\n'})
    root = write_tree(tmp_path / "live", {"main.tf": 'module "db" {\n  source = "../shared"\n  name = "a"\n}\n'})
    run = Run()
    p = hcl.load_dir(str(root), run=run)
    assert sorted(r.address for r in p.resources) == ["module.db.aws_db_instance.this",
                                                       "module.db.module.params.aws_db_parameter_group.this"]
    out = [c for c in run.coverage if c["kind"] == "module-outside-root"]
    # said once, where the path leaves the tree (not again for the module it calls beside it)
    assert [c["message"] for c in out] == [
        "module.db: source ../shared is outside the scanned directory (read, as Terraform reads it)"]
    assert findings(p, "ENC-01")["module.db.aws_db_instance.this"].status == "fail"


def test_symlinked_module_dir_pointing_outside_is_said(tmp_path):
    write_tree(tmp_path / "shared", SHARED_DB)
    root = write_tree(tmp_path / "live", {"main.tf": 'module "db" {\n  source = "./db"\n  name = "a"\n}\n'})
    os.symlink(tmp_path / "shared", root / "db")
    run = Run()
    hcl.load_dir(str(root), run=run)
    assert [c["message"] for c in run.coverage if c["kind"] == "module-outside-root"] == [
        "module.db: source ./db is outside the scanned directory (through a symlink) (read, as Terraform reads it)"]


def test_symlink_loop_is_a_module_cycle(tmp_path, run_cli):
    write_tree(tmp_path, {"main.tf": 'module "m" {\n  source = "./modules/m"\n}\n',
                          "modules/m/main.tf": 'resource "aws_sqs_queue" "q" {}\nmodule "again" {\n'
                                               '  source = "./loop/m"\n}\n'})
    os.symlink("..", tmp_path / "modules/m/loop")      # modules/m/loop/m is modules/m again, one level deeper
    r = run_cli("scan", tmp_path, "-o", tmp_path / "out.json")
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "modules/m/main.tf:3: module again: source ./loop/m includes itself (module cycle)" in r.stderr
    assert not (tmp_path / "out.json").exists()


def test_self_referencing_symlink_is_a_module_cycle(tmp_path):
    write_tree(tmp_path, {"main.tf": 'module "m" {\n  source = "./spin"\n}\n'})
    os.symlink("spin", tmp_path / "spin")
    with pytest.raises(InputError) as e:
        hcl.load_dir(str(tmp_path))
    assert str(e.value) == f"{tmp_path}/main.tf:2: module m: source ./spin is a symlink loop (module cycle)"


def test_symlinked_tf_file_outside_the_tree(tmp_path, run_cli):
    write_tree(tmp_path / "common", {"providers.tf": 'provider "aws" {\n  region = "eu-west-1"\n}\n',
                                     "credentials": "[default]\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG\n"})
    root = write_tree(tmp_path / "live", {"main.tf": 'resource "aws_sqs_queue" "q" {}\n'})
    # a shared providers file, as monorepos link them: read (Terraform reads it), and said
    os.symlink(tmp_path / "common/providers.tf", root / "providers.tf")
    run = Run()
    p = hcl.load_dir(str(root), run=run)
    assert str(root / "providers.tf") in p.files
    notes = [c["message"] for c in run.coverage if c["kind"] == "file-outside-root"]
    assert notes == [f"providers.tf: a symlink to {tmp_path}/common/providers.tf, outside the scanned directory "
                     f"(read, as Terraform reads it)"]
    # a link to anything else is not read at all: a syntax error must not quote a credentials file
    os.symlink(tmp_path / "common/credentials", root / "creds.tf")
    r = run_cli("scan", root, "-o", root / "out.json")
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert f"{root}/creds.tf: a symlink to a file outside the scanned directory that is not Terraform " \
           f"configuration: not read" in r.stderr
    assert "wJalr" not in r.stderr and not (root / "out.json").exists()


def test_auto_loaded_tfvars_symlinked_outside_is_not_read(tmp_path):
    write_tree(tmp_path / "common", {"prod.tfvars": 'encrypted = false\n'})
    root = write_tree(tmp_path / "live", {"main.tf": '''
        variable "encrypted" { default = true }
        resource "aws_ebs_volume" "v" {
          availability_zone = "eu-west-1a"
          encrypted         = var.encrypted
        }
    '''})
    os.symlink(tmp_path / "common/prod.tfvars", root / "terraform.tfvars")
    with pytest.raises(InputError) as e:
        hcl.load_dir(str(root))
    assert str(e.value) == (f"{root}/terraform.tfvars: a symlink to a file outside the scanned directory: not read "
                            f"(give it with --var-file to read it)")
    os.remove(root / "terraform.tfvars")
    p = hcl.load_dir(str(root), var_files=[str(tmp_path / "common/prod.tfvars")])
    assert p.resources[0].values["encrypted"] is False


@pytest.mark.parametrize("name", ["main.tf", "terraform.tfvars", ".terraform/modules/modules.json"])
def test_sparse_huge_file_is_refused_from_its_size(tmp_path, name):
    write_tree(tmp_path, {"main.tf": 'module "m" {\n  source = "acme/m/aws"\n}\n'})
    big = tmp_path / name
    big.parent.mkdir(parents=True, exist_ok=True)
    with open(big, "ab") as fh:
        fh.truncate(3 * 1024 ** 3)              # 3 GB, sparse: refused from its size, never read
    with pytest.raises(InputError) as e:
        hcl.load_dir(str(tmp_path))
    assert str(e.value) == (f"{tmp_path}/{name}: larger than specguard's limit of {MAX_FILE_BYTES} bytes for one "
                            f"file: not read ({3 * 1024 ** 3} bytes)")


def test_waive_comments_in_a_downloaded_module_waive_nothing(tmp_path):
    files = {"main.tf": ROOT, **DOWNLOADED}
    files[".terraform/modules/db/modules/db_instance/main.tf"] = '''
        variable "identifier" { type = string }
        variable "storage_encrypted" { type = bool }
        resource "aws_db_instance" "this" {
          # specguard:waive ENC-01 until=2099-01-01 reason="the module author says so"
          identifier        = var.identifier
          storage_encrypted = var.storage_encrypted
        }
    '''
    run = Run()
    p = hcl.load_dir(str(write_tree(tmp_path, files)), run=run)
    assert p.waivers == []
    ignored = [c["message"] for c in run.coverage if c["kind"] == "source-waivers-ignored"]
    assert ignored == ["module.db.module.db_instance: 1 specguard:waive comment(s) in a module terraform init "
                       "downloaded are not applied (waivers come from the scanned configuration's own files)"]


def test_tf_data_dir_is_honoured(tmp_path, monkeypatch):
    files = {"main.tf": 'module "keys" {\n  source = "acme/kms/aws"\n}\n',
             "tfdata/modules/keys/main.tf": 'resource "aws_kms_key" "this" {}\n',
             "tfdata/modules/modules.json": manifest(("keys", "acme/kms/aws", "1.0.0", "tfdata/modules/keys"))}
    monkeypatch.setenv("TF_DATA_DIR", "tfdata")
    p = hcl.load_dir(str(write_tree(tmp_path, files)))
    assert [r.address for r in p.resources] == ["module.keys.aws_kms_key.this"]


def test_downloaded_version_the_constraint_no_longer_admits_is_not_followed(tmp_path):
    files = {"main.tf": ROOT.replace('version = "~> 6.0"', 'version = "~> 7.0"'), **DOWNLOADED}
    run = Run()
    p = hcl.load_dir(str(write_tree(tmp_path, files)), run=run)
    nf = {c["module"]: c["message"] for c in run.coverage if c["kind"] == "module-not-followed"}
    assert nf == {"module.db": f"module.db: source 'terraform-aws-modules/rds/aws' is not followed: "
                               f"{tmp_path}/.terraform/modules/modules.json records version 6.10.0, which "
                               f"version = '~> 7.0' does not admit (run terraform init again); its resources are "
                               f"not scanned"}
    assert "module.keys.aws_kms_key.this" in {r.address for r in p.resources}


def test_plan_source_dir_with_a_symlink_loop_ends(tmp_path):
    """--source-dir (file and line for a plan's resources) walks local modules too: a symlink back up
    the tree is the same directory, visited once."""
    from planlib import Plan

    write_tree(tmp_path, {"main.tf": 'module "m" {\n  source = "./modules/m"\n}\n',
                          "modules/m/main.tf": 'resource "aws_sqs_queue" "q" {}\nmodule "again" {\n'
                                               '  source = "./loop/m"\n}\n'})
    os.symlink("..", tmp_path / "modules/m/loop")
    p = Plan()
    p.add("aws_sqs_queue", "q", {"name": "q"}, module="module.m")
    plan = p.project()
    src = hcl.locate(plan, str(tmp_path))
    assert (plan.resources[0].file, plan.resources[0].line) == ("modules/m/main.tf", 1)
    assert len(src._sources) == 2          # the root and modules/m, not modules/m/loop/m/... again


def test_plan_source_dir_finds_blocks_in_downloaded_modules_but_not_their_waivers(tmp_path):
    from planlib import Plan

    files = {"main.tf": ROOT, **DOWNLOADED}
    files[".terraform/modules/keys/main.tf"] = '''
        resource "aws_kms_key" "this" {
          # specguard:waive ENC-05 until=2099-01-01 reason="the module author says so"
          enable_key_rotation = false
        }
        output "key_arn" { value = aws_kms_key.this.arn }
    '''
    write_tree(tmp_path, files)
    p = Plan()
    p.add("aws_db_instance", "this", {"storage_encrypted": False}, module="module.db.module.db_instance")
    p.add("aws_kms_key", "this", {"enable_key_rotation": False}, module="module.keys")
    plan = p.project()
    hcl.locate(plan, str(tmp_path))
    where = {r.address: (r.file, r.line) for r in plan.resources}
    assert where == {"module.db.module.db_instance.aws_db_instance.this":
                     (".terraform/modules/db/modules/db_instance/main.tf", 4),
                     "module.keys.aws_kms_key.this": (".terraform/modules/keys/main.tf", 2)}
    assert plan.waivers == []
