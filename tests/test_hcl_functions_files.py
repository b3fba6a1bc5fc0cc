"""file(), templatefile() and the other file functions in a scanned tree: read from the root module's
directory as Terraform reads them, never outside the tree, and recorded with the files scanned."""
import hashlib
import os

from conftest import write_tree

from scanner.sources.terraform import hcl
from scanner.values import Unknown


def tree(tmp_path, main, **files):
    root = tmp_path / "root"
    write_tree(root, {"main.tf": main, **files})
    return root


def value(project, address, attr):
    res = next(r for r in project.resources if r.address == address)
    return res.get(attr)


def test_module_files_are_read_relative_to_the_root_and_recorded_with_their_digest(tmp_path):
    policy = '{"Version": "2012-10-17", "Statement": []}'
    root = tree(tmp_path, '''
        module "q" {
          source = "./modules/q"
        }
        ''', **{
        "modules/q/main.tf": '''
            resource "aws_sqs_queue" "q" {
              name   = templatefile("${path.module}/name.tftpl", {env = "prod"})
              policy = jsonencode(jsondecode(file("${path.module}/policy.json")))
              tags   = {Digest = filesha256("${path.module}/policy.json")}
            }
            ''',
        "modules/q/policy.json": policy,
        "modules/q/name.tftpl": "%{ if env == \"prod\" ~}\nqueue-${env}\n%{ endif ~}\n",
    })
    project = hcl.load_dir(str(root))
    assert value(project, "module.q.aws_sqs_queue.q", "name").value == "queue-prod\n"
    assert value(project, "module.q.aws_sqs_queue.q", "policy").value == '{"Statement":[],"Version":"2012-10-17"}'
    assert value(project, "module.q.aws_sqs_queue.q", "tags").value == {
        "Digest": hashlib.sha256(policy.encode()).hexdigest()}
    record = hcl.source_record(project)
    paths = {f["path"]: f["sha256"] for f in record["files"]}
    assert paths["modules/q/policy.json"] == hashlib.sha256(policy.encode()).hexdigest()
    assert "modules/q/name.tftpl" in paths


def test_no_file_outside_the_scanned_tree_is_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the scan")
    root = tree(tmp_path, '''
        resource "aws_sqs_queue" "a" {
          name = file("../secret.txt")
        }
        resource "aws_sqs_queue" "b" {
          name = file("link.txt")
        }
        resource "aws_sqs_queue" "c" {
          name = file("${abspath("/")}etc/hostname")
        }
        resource "aws_sqs_queue" "d" {
          name = join(",", fileset(path.module, "**"))
        }
        ''')
    os.symlink(secret, root / "link.txt")
    project = hcl.load_dir(str(root))
    for name in "abc":
        v = value(project, f"aws_sqs_queue.{name}", "name")
        assert isinstance(v, Unknown) and "outside the scanned directory" in v.reason, v
        assert "not for the scan" not in v.reason
    assert value(project, "aws_sqs_queue.d", "name").value == "main.tf"   # the link leads out: not listed
    assert all("secret" not in f["path"] for f in hcl.source_record(project)["files"])


def test_a_file_too_large_is_unknown_and_not_read_whole(tmp_path, monkeypatch):
    from scanner.sources.terraform.hcl_functions import files
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 1000)
    root = tree(tmp_path, '''
        resource "aws_sqs_queue" "q" {
          name = filesha256("big.bin")
        }
        ''', **{"big.bin": "x" * 1001})
    v = value(hcl.load_dir(str(root)), "aws_sqs_queue.q", "name")
    assert isinstance(v, Unknown) and "larger than 1000 bytes" in v.reason


def test_a_missing_file_is_terraforms_error_which_try_can_catch(tmp_path):
    root = tree(tmp_path, '''
        resource "aws_sqs_queue" "a" {
          name = file("missing.txt")
        }
        resource "aws_sqs_queue" "b" {
          name = try(file("missing.txt"), "fallback")
        }
        resource "aws_sqs_queue" "c" {
          name = fileexists("missing.txt") ? "yes" : "no"
        }
        ''')
    project = hcl.load_dir(str(root))
    a = value(project, "aws_sqs_queue.a", "name")
    assert isinstance(a, Unknown) and "no file exists at 'missing.txt'" in a.reason
    assert value(project, "aws_sqs_queue.b", "name").value == "fallback"
    assert value(project, "aws_sqs_queue.c", "name").value == "no"


def test_a_function_past_the_limits_stops_the_scan_at_its_file_and_line(tmp_path):
    import pytest

    from scanner.errors import InputError

    root = tree(tmp_path, '''
        locals {
          big = setproduct(range(1000), range(1000))
        }
        resource "aws_sqs_queue" "q" {
          name = try(length(local.big), 0)
        }
        ''')
    with pytest.raises(InputError) as e:
        project = hcl.load_dir(str(root))
        for r in project.resources:
            r.realize()
    assert "main.tf:3: " in e.value.message and "more than 100000" in e.value.message, e.value.message
