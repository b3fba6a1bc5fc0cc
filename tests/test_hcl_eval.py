"""The HCL parser and expression evaluator used by `specguard scan DIR`."""
import pytest

from scanner.sources.terraform.hcl_eval import EvalError, Scope, evaluate
from scanner.sources.terraform.hcl_parse import Attribute, Block, HclSyntaxError, parse, parse_expression
from scanner.values import Unknown

VARS = {
    "env": "prod", "n": 3, "tags": {"Owner": "sre", "Project": "p"}, "names": ["b", "a", "b"],
    "nothing": None, "empty": "", "unknown": Unknown("read from a data source"),
}


def ev(text, **extra):
    roots = {"var": dict(VARS, **extra)}

    def root(name):
        if name in roots:
            return roots[name]
        raise EvalError(f"no {name}")

    return evaluate(parse_expression(text), Scope(root))


@pytest.mark.parametrize("text, expected", [
    ('"${var.env}-db"', "prod-db"),
    ('"${var.n}"', 3),                                   # a lone interpolation keeps its type
    ('var.n * 2 + 1', 7),
    ('var.n / 2', 1.5),
    ('var.env == "prod" ? 2 : 1', 2),
    ('!(var.n > 2) || var.env != "prod"', False),
    ('merge(var.tags, {Owner = "dba", Cost = "1"})', {"Owner": "dba", "Project": "p", "Cost": "1"}),
    ('concat(["x"], var.names)', ["x", "b", "a", "b"]),
    ('lookup(var.tags, "Owner", "none")', "sre"),
    ('lookup(var.tags, "Missing", "none")', "none"),
    ('tomap({a = 1})', {"a": 1}),
    ('toset(var.names)', ["a", "b"]),
    ('length(var.names)', 3),
    ('length(var.tags)', 2),
    ('format("%s-%03d", var.env, 7)', "prod-007"),
    ('try(var.tags.Missing, "fallback")', "fallback"),
    ('coalesce(var.nothing, var.empty, "x")', "x"),
    ('[for s in var.names : upper(s) if s != "a"]', ["B", "B"]),
    ('{for k, v in var.tags : lower(k) => v}', {"owner": "sre", "project": "p"}),
    ('{for s in var.names : s => 1...}', {"a": [1], "b": [1, 1]}),
    ('[{id = 1}, {id = 2}][*].id', [1, 2]),
    ('"%{if var.n > 1}many%{else}one%{endif}"', "many"),
    ('join(",", [for s in toset(var.names) : "${s}!"])', "a!,b!"),
    ('<<-EOT\n    hello ${var.env}\n      indented\n    EOT\n', "hello prod\n  indented\n"),
])
def test_expressions(text, expected):
    assert ev(text) == expected


@pytest.mark.parametrize("text", [
    "var.unknown", '"arn:${var.unknown}"', "var.unknown == 1", "merge(var.unknown, {})",
    "length(var.unknown)", "format(\"%s\", var.unknown)", "var.unknown ? 1 : 2", "[for x in var.unknown : x]",
    "templatefile(\"x.tpl\", {})", "coalesce(var.unknown, \"x\")",
])
def test_unknown_stays_unknown(text):
    v = ev(text)
    assert isinstance(v, Unknown), v


def test_unsupported_function_names_itself():
    v = ev('cidrsubnetz("10.0.0.0/16", 8, 1)')
    assert isinstance(v, Unknown) and "cidrsubnetz() is not a Terraform function" in v.reason


def test_unknown_does_not_poison_what_it_cannot_change():
    assert ev("false && var.unknown") is False
    assert ev("true || var.unknown") is True
    assert ev('var.unknown ? "same" : "same"') == "same"
    assert ev("length([var.unknown, 1])") == 2


def test_errors_are_errors_not_values():
    with pytest.raises(EvalError):
        ev("var.tags.Missing")
    with pytest.raises(EvalError):
        ev('lookup(var.tags, "Missing")')


def test_parser_keeps_lines_and_comments():
    text = '''# top
resource "aws_s3_bucket" "logs" {
  bucket = "logs"   # trailing
  /* block
     comment */
  tags = {
    A = "1", B = "2"
    C = "3"
  }
  versioning {
    enabled = true
  }
}
'''
    p = parse(text)
    (block,) = p.body
    assert isinstance(block, Block) and block.labels == ["aws_s3_bucket", "logs"]
    assert (block.line, block.end_line) == (2, 13)
    attrs = block.attrs()
    assert attrs["bucket"].line == 3 and attrs["tags"].line == 6
    assert block.blocks("versioning")[0].line == 10
    assert [line for line, _ in p.comments] == [1, 3, 4]
    assert attrs["tags"].text.startswith("{") and attrs["tags"].text.endswith("}")


@pytest.mark.parametrize("text, line", [
    ('resource "a" "b" {\n  x = \n}\n', 2),
    ('resource "a" "b" {\n  x = "unterminated\n}\n', 2),
    ('resource "a" "b" {\n  x = 1\n', 3),
    ('a = 1\nb = [1, 2\nc = 3 @\n', 3),
])
def test_syntax_errors_have_lines(text, line):
    with pytest.raises(HclSyntaxError) as e:
        parse(text)
    assert e.value.line == line


@pytest.mark.parametrize("tree", ["platform", "platform/modules/db"])
def test_parser_agrees_with_python_hcl2(tree):
    """python-hcl2 (Lark) is the reference: same top-level blocks, labels, lines and attribute names."""
    import pathlib

    import hcl2.api

    for path in sorted((pathlib.Path(__file__).parent.parent / "fixtures/tf" / tree).glob("*.tf")):
        text = path.read_text()
        lark_body = hcl2.api.parses_to_tree(text).children[0]
        ref = [(c.children[0].children[0].value, c.meta.line, c.meta.end_line) for c in lark_body.children
               if getattr(c, "data", None) == "block"]
        ours = [(b.type, b.line, b.end_line) for b in parse(text).body if isinstance(b, Block)]
        assert ours == ref, path
        ref_dict = hcl2.api.loads(text)
        for b in parse(text).body:
            if isinstance(b, Block) and b.type == "resource":
                t, n = f'"{b.labels[0]}"', f'"{b.labels[1]}"'
                body = next(e[t][n] for e in ref_dict["resource"] if n in e.get(t, {}))
                ref_names = {k for k in body if not k.startswith("__")}
                assert {i.name if isinstance(i, Attribute) else i.type for i in b.body} == ref_names
