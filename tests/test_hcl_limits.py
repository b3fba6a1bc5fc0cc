"""`specguard scan DIR` on trees Terraform would refuse or that would exhaust the stack: clean input errors."""
import json

import pytest

from conftest import write_tree

from scanner.errors import InputError
from scanner.results import Run
from scanner.sources.terraform import hcl
from scanner.sources.terraform.hcl_parse import MAX_NESTING


def load_error(tmp_path, **kw) -> str:
    with pytest.raises(InputError) as e:
        hcl.load_dir(str(tmp_path), **kw)
    return e.value.message


# ----------------------------------------------------------------------------- module cycles
def test_module_including_itself_is_an_input_error(tmp_path, run_cli):
    write_tree(tmp_path, {"main.tf": 'module "m" {\n  source = "./"\n}\nresource "aws_sqs_queue" "q" {}\n'})
    r = run_cli("scan", tmp_path, "-o", tmp_path / "out.json")
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1, r.stderr
    assert f"{tmp_path}/main.tf:2: module m: source ./ includes itself (module cycle)" in r.stderr
    assert not (tmp_path / "out.json").exists()


def test_modules_including_each_other_are_an_input_error(tmp_path):
    write_tree(tmp_path, {
        "main.tf": 'module "a" {\n  source = "./a"\n}\n',
        "a/main.tf": 'resource "aws_sqs_queue" "q" {}\nmodule "b" {\n  source = "../b"\n}\n',
        "b/main.tf": '\n\nmodule "back" {\n  source = "../a"\n}\n',
    })
    msg = load_error(tmp_path)
    assert msg.endswith("b/main.tf:4: module back: source ../a includes a module that includes it "
                        "(a -> b -> a) (module cycle)"), msg


def test_same_local_module_twice_is_not_a_cycle(tmp_path):
    write_tree(tmp_path, {
        "main.tf": 'module "one" {\n  source = "./q"\n}\nmodule "two" {\n  source = "./q"\n}\n',
        "q/main.tf": 'module "inner" {\n  source = "../leaf"\n}\n',
        "leaf/main.tf": 'resource "aws_sqs_queue" "q" {}\n',
    })
    addrs = {r.address for r in hcl.load_dir(str(tmp_path)).resources}
    assert addrs == {"module.one.module.inner.aws_sqs_queue.q", "module.two.module.inner.aws_sqs_queue.q"}


# ----------------------------------------------------------------------------- nesting
DEEP = 3000
DEEP_HCL = {
    "brackets": "[" * DEEP + "]" * DEEP,
    "braces": "{a = " * DEEP + "1" + "}" * DEEP,
    "parentheses": "(" * DEEP + "1" + ")" * DEEP,
    "calls": "tolist(" * DEEP + "[]" + ")" * DEEP,
    "unary": "!" * DEEP + "true",
    "binary chain": " + ".join(["1"] * DEEP),
    "attribute chain": "var.x" + ".a" * DEEP,
    "conditionals": "true ? 1 : " * DEEP + "1",
    "interpolations": '"${' * DEEP + '1' + '}"' * DEEP,
    "template directives": '"' + "%{if true}" * DEEP + "x" + "%{endif}" * DEEP + '"',
}


@pytest.mark.parametrize("expr", DEEP_HCL.values(), ids=list(DEEP_HCL))
def test_deeply_nested_expression_is_an_input_error_with_file_and_line(tmp_path, expr):
    write_tree(tmp_path, {"main.tf": 'variable "x" {}\n\nlocals {\n  deep = ' + expr + "\n}\n"})
    msg = load_error(tmp_path)
    assert msg.startswith(f"{tmp_path}/main.tf:4: ") and "nested more than" in msg, msg[:300]


def test_deeply_nested_blocks_are_an_input_error(tmp_path, run_cli):
    body = "a {\n" * DEEP + "}\n" * DEEP
    write_tree(tmp_path, {"main.tf": 'resource "aws_sqs_queue" "q" {\n' + body + "}\n"})
    r = run_cli("scan", tmp_path, "-o", tmp_path / "out.json")
    assert r.returncode == 2 and "main.tf:" in r.stderr and "nested more than" in r.stderr, r.stderr
    assert "internal error" not in r.stderr


def test_deeply_nested_json_files_are_input_errors(tmp_path):
    deep = "[" * DEEP + "]" * DEEP
    (tmp_path / "main.tf.json").write_text('{"locals": {"deep": ' + deep + "}}")
    assert "main.tf.json: JSON nested more than" in load_error(tmp_path)
    (tmp_path / "main.tf.json").write_text(json.dumps({"locals": {"x": '${"' * 200 + "1" + '"}' * 200}}))
    assert "main.tf.json:1: expression or block nested more than" in load_error(tmp_path)
    (tmp_path / "main.tf.json").unlink()
    write_tree(tmp_path, {"main.tf": 'variable "v" {}\n', "terraform.tfvars.json": '{"v": ' + deep + "}"})
    assert "terraform.tfvars.json: JSON nested more than" in load_error(tmp_path)


def test_deep_var_option_is_an_input_error(tmp_path):
    write_tree(tmp_path, {"main.tf": 'variable "v" { type = any }\n'})   # any: -var is an HCL expression
    assert "--var v: expression or block nested more than" in load_error(
        tmp_path, variables=["v=" + "[" * DEEP + "]" * DEEP])


def test_nesting_just_under_the_limit_still_evaluates(tmp_path):
    """The limit must not refuse what the stack can take: every construct, as deep as allowed, end to end."""
    n = MAX_NESTING - 4
    write_tree(tmp_path, {"main.tf": f'''
        locals {{
          list  = {"[" * n}"x"{"]" * n}
          tmpl  = {'"${' * n}"x"{'}"' * n}
          sum   = {" + ".join(["1"] * n)}
          neg   = {"-" * n}1
        }}
        resource "aws_sqs_queue" "q" {{
          name = "${{jsonencode(local.list)}}-${{local.tmpl}}-${{local.sum}}-${{local.neg}}"
        }}
    '''})
    q = hcl.load_dir(str(tmp_path)).by_address()["aws_sqs_queue.q"]
    assert q.values["name"] == f'{"[" * n}"x"{"]" * n}-x-{n}-{1 if n % 2 == 0 else -1}'


def test_very_long_chain_of_references_is_an_input_error(tmp_path, run_cli):
    n = 400
    lines = ['locals {', '  l0 = "x"'] + [f"  l{i} = local.l{i - 1}" for i in range(1, n)] + ["}"]
    lines += ['resource "aws_sqs_queue" "q" {', f"  name = local.l{n - 1}", "}"]
    write_tree(tmp_path, {"main.tf": "\n".join(lines) + "\n"})
    r = run_cli("scan", tmp_path, "-o", tmp_path / "out.json")
    assert r.returncode == 2, r.stderr
    assert f"main.tf:{n + 3}: aws_sqs_queue.q: a chain of references" in r.stderr, r.stderr


# ----------------------------------------------------------------------------- undeclared variables
def test_var_option_for_an_undeclared_variable_is_refused(tmp_path, run_cli):
    write_tree(tmp_path, {"main.tf": 'variable "x" {}\nresource "aws_sqs_queue" "q" {\n  name = var.x\n}\n'})
    msg = load_error(tmp_path, variables=["x=1", "y=1"])
    assert msg.startswith("--var y: a value for undeclared variable y"), msg
    r = run_cli("scan", tmp_path, "--var", "x=1", "--var", "y=1", "-o", tmp_path / "out.json")
    assert r.returncode == 2 and "undeclared variable y" in r.stderr, r.stderr
    assert not (tmp_path / "out.json").exists()
    p = hcl.load_dir(str(tmp_path), variables=["x=1"])
    assert p.by_address()["aws_sqs_queue.q"].values["name"] == "1"


def test_undeclared_variable_in_a_var_file_is_a_warning(tmp_path):
    write_tree(tmp_path, {
        "main.tf": 'variable "x" {}\nresource "aws_sqs_queue" "q" {\n  name = var.x\n}\n',
        "terraform.tfvars": 'x = "from-tfvars"\nregion = "eu-west-1"\n',
        "extra.tfvars": 'y = 2\n',
    })
    run = Run()
    p = hcl.load_dir(str(tmp_path), var_files=[str(tmp_path / "extra.tfvars")], run=run)
    assert p.by_address()["aws_sqs_queue.q"].values["name"] == "from-tfvars"
    warnings = {(c["variable"], c["file"]) for c in run.coverage if c["kind"] == "input-warning"}
    assert warnings == {("region", f"{tmp_path}/terraform.tfvars"), ("y", f"{tmp_path}/extra.tfvars")}
    assert all("undeclared variable" in c["message"] for c in run.coverage)


def test_var_declared_only_in_a_child_module_is_still_undeclared(tmp_path):
    """Terraform checks the root module's variables: a child's variable is set by its module block."""
    write_tree(tmp_path, {
        "main.tf": 'module "c" {\n  source = "./c"\n}\n',
        "c/main.tf": 'variable "inner" { default = "d" }\n',
    })
    assert "undeclared variable inner" in load_error(tmp_path, variables=["inner=x"])
