"""Terraform's type conversion of variable values (issue 12, class 3): optional() attributes and their
defaults, primitive conversions, objects that drop undeclared attributes, values Terraform refuses."""
import pytest

from conftest import write_tree

from scanner.errors import InputError
from scanner.results import Run
from scanner.sources.terraform import hcl
from scanner.sources.terraform.hcl_parse import parse_expression
from scanner.sources.terraform.hcl_types import Mismatch, TypeSyntaxError, convert, parse_type, show
from scanner.values import Unknown


def typed(text: str):
    return parse_type(parse_expression(text))


def findings(project, control_id):
    from scanner.engine import evaluate
    from scanner.link import link
    from scanner.profile import spec_profile
    from scanner.sources.terraform.normalize import normalize

    prof = spec_profile()
    for cid, cs in prof.controls.items():
        cs.enabled = cid == control_id
    return {f.resource.address: f for f in evaluate(link(normalize(project)), prof)}


# ----------------------------------------------------------------------------- the converter
@pytest.mark.parametrize("type_text, value, expected", [
    ("string", 5, "5"),
    ("string", 1.5, "1.5"),
    ("string", 1e20, "100000000000000000000"),
    ("string", 1e-7, "0.0000001"),
    ("string", 2.0, "2"),
    ("string", True, "true"),
    ("number", "42", 42),
    ("number", "-1.25", -1.25),
    ("number", "1e3", 1000),
    ("bool", "true", True),
    ("bool", "0", False),
    ("list(number)", ["1", 2], [1, 2]),
    ("set(string)", ["b", "a", "b"], ["a", "b"]),
    ("map(bool)", {"x": "false"}, {"x": False}),
    ("tuple([string, number])", [1, "2"], ["1", 2]),
    ("list(any)", ["a", 1, True], ["a", "1", "true"]),      # one element type for all: string
    ("any", {"k": [1, "x"]}, {"k": [1, "x"]}),
    ("map(string)", None, None),
])
def test_conversions_terraform_makes(type_text, value, expected):
    assert convert(value, typed(type_text)) == expected


@pytest.mark.parametrize("type_text, value, message", [
    ("number", "ten", 'var.x: a number is required, not the string "ten"'),
    ("number", "inf", 'var.x: a number is required, not the string "inf"'),
    ("number", True, "var.x: a number is required, not a bool"),
    ("bool", "yes", 'var.x: a bool is required, not the string "yes"'),
    ("string", ["a"], "var.x: a string is required, not a list"),
    ("list(string)", {"a": "b"}, "var.x: a list is required, not an object"),
    ("object({name = string})", {"other": 1}, "var.x: attribute 'name' is required"),
    ("map(object({port = number}))", {"web": {"port": "http"}},
     'var.x.web.port: a number is required, not the string "http"'),
    ("tuple([string])", ["a", "b"], "var.x: a tuple of 1 elements is required, not 2"),
    ("list(any)", [1, True], "var.x: all elements must have the same type (numbers and bools have no common type)"),
])
def test_values_terraform_refuses_name_the_place(type_text, value, message):
    with pytest.raises(Mismatch) as e:
        convert(value, typed(type_text), "var.x")
    assert str(e.value) == message


def test_optional_attributes_get_null_or_their_default_all_the_way_down():
    t = typed('''object({
        name     = string
        multi_az = optional(bool, false)
        port     = optional(number)
        backup   = optional(object({
          retention_days = optional(number, 7)
          window         = optional(string)
        }), {})
        replicas = optional(list(object({ az = string, public = optional(bool, false) })), [])
    })''')
    got = convert({"name": "orders", "port": "5432", "replicas": [{"az": "a"}, {"az": "b", "public": None}],
                   "undeclared": "dropped"}, t)
    assert got == {"name": "orders", "multi_az": False, "port": 5432,
                   "backup": {"retention_days": 7, "window": None},
                   "replicas": [{"az": "a", "public": False}, {"az": "b", "public": False}]}
    # a null given for an attribute with a default takes the default; the default object gets its own defaults
    assert convert({"name": "x", "multi_az": None, "backup": None}, t)["backup"] == {"retention_days": 7,
                                                                                     "window": None}


def test_unknown_stays_where_it_is():
    t = typed("object({ kms_key_id = string, enabled = optional(bool, true), tags = optional(map(string), {}) })")
    u = Unknown("data.aws_kms_key.k.arn is read from a data source")
    got = convert({"kms_key_id": u, "tags": {"Owner": 7}}, t)
    assert got["kms_key_id"] is u
    assert got["enabled"] is True and got["tags"] == {"Owner": "7"}
    assert convert(u, t) is u
    assert convert([u, "b", "a"], typed("set(string)"))[-1] is u


@pytest.mark.parametrize("text, message", [
    ("lisst(string)", "lisst(...) is not a type constructor"),
    ("strin", "'strin' is not a type"),
    ("object(string)", "object(...) takes an object of attribute types"),
    ("optional(string)", "optional(...) is allowed only as an attribute type of object"),
    ('object({ n = optional(number, "x") })', "the default of optional(...) does not match its type"),
])
def test_bad_type_constraints(text, message):
    with pytest.raises(TypeSyntaxError) as e:
        typed(text)
    assert message in str(e.value)


def test_legacy_and_json_type_strings():
    assert typed('"string"') == ("string",)
    assert typed('"map"') == ("map", ("any",))
    assert show(typed('"map(list(number))"')) == "map(list(number))"      # .tf.json writes types as strings


# ----------------------------------------------------------------------------- through a scan
def test_listener_map_with_optional_ssl_policy(tmp_path):
    """terraform-aws-modules/alb style: listeners = map(object({... ssl_policy = optional(string)}))."""
    write_tree(tmp_path, {"main.tf": '''
        variable "listeners" {
          type = map(object({
            port            = number
            protocol        = optional(string, "HTTPS")
            ssl_policy      = optional(string)
            certificate_arn = optional(string)
          }))
          default = {
            legacy = { port = "8443", certificate_arn = "arn:aws:acm:eu-west-1:111122223333:certificate/x" }
            modern = { port = 443, ssl_policy = "ELBSecurityPolicy-TLS13-1-3-2021-06",
                       certificate_arn = "arn:aws:acm:eu-west-1:111122223333:certificate/y" }
          }
        }
        resource "aws_lb" "this" {
          name     = "edge"
          internal = false
        }
        resource "aws_lb_listener" "this" {
          for_each          = var.listeners
          load_balancer_arn = aws_lb.this.arn
          port              = each.value.port
          protocol          = each.value.protocol
          ssl_policy        = each.value.ssl_policy
          certificate_arn   = each.value.certificate_arn
          default_action {
            type             = "forward"
            target_group_arn = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/app/1"
          }
        }
    '''})
    p = hcl.load_dir(str(tmp_path))
    legacy = p.by_address()['aws_lb_listener.this["legacy"]']
    assert legacy.values["ssl_policy"] is None and legacy.values["port"] == 8443
    assert legacy.values["protocol"] == "HTTPS"
    f = findings(p, "TLS-01")
    assert f['aws_lb_listener.this["modern"]'].status == "pass"
    assert f['aws_lb_listener.this["legacy"]'].status == "fail"     # the provider's default policy, not unknown


def test_try_sees_the_declared_default_not_its_fallback(tmp_path):
    """terraform-aws-modules/rds style: try(var.db.multi_az, true) where multi_az = optional(bool, false)."""
    write_tree(tmp_path, {"main.tf": '''
        variable "db" {
          type = object({
            identifier        = string
            engine            = optional(string, "postgres")
            multi_az          = optional(bool, false)
            backup_retention  = optional(number, 35)
          })
          default = { identifier = "orders" }
        }
        resource "aws_db_instance" "this" {
          identifier              = var.db.identifier
          engine                  = var.db.engine
          instance_class          = "db.t4g.medium"
          multi_az                = try(var.db.multi_az, true)
          backup_retention_period = try(var.db.backup_retention, 1)
          storage_encrypted       = true
        }
    '''})
    p = hcl.load_dir(str(tmp_path))
    db = p.by_address()["aws_db_instance.this"]
    assert db.values["multi_az"] is False and db.values["backup_retention_period"] == 35
    assert findings(p, "HA-01")["aws_db_instance.this"].status == "fail"
    assert findings(p, "BAK-01")["aws_db_instance.this"].status == "pass"


MODULE_CALL = {
    "main.tf": '''
        module "storage" {
          source = "./modules/storage"
          name   = "auditlogs"
          %s
        }
    ''',
    # Azure Verified Modules style: customer_managed_key = optional object with nested optionals
    "modules/storage/variables.tf": '''
        variable "name" { type = string }
        variable "customer_managed_key" {
          type = object({
            key_vault_resource_id = string
            key_name              = string
            key_version           = optional(string, null)
            user_assigned_identity = optional(object({
              resource_id = string
            }), null)
          })
          default = null
        }
        variable "min_tls_version" {
          type     = string
          default  = "TLS1_2"
          nullable = false
        }
        variable "https_traffic_only_enabled" {
          type    = bool
          default = true
        }
    ''',
    "modules/storage/main.tf": '''
        resource "azurerm_storage_account" "this" {
          name                       = var.name
          resource_group_name        = "rg-audit"
          location                   = "westeurope"
          account_tier               = "Standard"
          account_replication_type   = "ZRS"
          min_tls_version            = var.min_tls_version
          https_traffic_only_enabled = var.https_traffic_only_enabled
          dynamic "customer_managed_key" {
            for_each = var.customer_managed_key == null ? [] : [var.customer_managed_key]
            content {
              key_vault_key_id          = customer_managed_key.value.key_name
              user_assigned_identity_id = try(customer_managed_key.value.user_assigned_identity.resource_id, null)
            }
          }
        }
    ''',
}


def _module_tree(tmp_path, args: str):
    files = dict(MODULE_CALL)
    files["main.tf"] = files["main.tf"] % args
    return hcl.load_dir(str(write_tree(tmp_path, files)))


def test_module_inputs_are_converted_and_null_takes_the_default_when_not_nullable(tmp_path):
    p = _module_tree(tmp_path, '''
          min_tls_version            = null
          https_traffic_only_enabled = "true"
          customer_managed_key = {
            key_vault_resource_id = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
            key_name              = "cmk"
            rotation              = "not a declared attribute"
          }
    ''')
    sa = p.by_address()["module.storage.azurerm_storage_account.this"]
    assert sa.values["min_tls_version"] == "TLS1_2"                  # null, nullable = false: the default
    assert sa.values["https_traffic_only_enabled"] is True           # "true" converted to bool
    assert sa.values["customer_managed_key"] == [{"key_vault_key_id": "cmk", "user_assigned_identity_id": None}]
    assert findings(p, "TLS-03")["module.storage.azurerm_storage_account.this"].status == "pass"


def test_module_input_terraform_refuses_is_unknown_naming_variable_and_mismatch(tmp_path):
    p = _module_tree(tmp_path, '''
          https_traffic_only_enabled = "yes"
          customer_managed_key = { key_name = "cmk" }
    ''')
    sa = p.by_address()["module.storage.azurerm_storage_account.this"]
    https = sa.values["https_traffic_only_enabled"]
    assert isinstance(https, Unknown)
    assert https.reason == ('module.storage\'s input for variable https_traffic_only_enabled does not match its '
                            'type bool: var.https_traffic_only_enabled: a bool is required, not the string "yes"')
    cmk = sa.values["customer_managed_key"]
    assert isinstance(cmk, Unknown) and "attribute 'key_vault_resource_id' is required" in cmk.reason
    assert sa.values["min_tls_version"] == "TLS1_2"                  # not given: the default


ROOT = '''
    variable "instance_count" { type = number }
    variable "settings" {
      type = object({
        encrypted = optional(bool, true)
        ports     = optional(list(number), [5432])
      })
      default = {}
    }
    variable "name" {
      type     = string
      default  = "orders"
      nullable = false
    }
    resource "aws_db_instance" "this" {
      count             = var.instance_count
      identifier        = "${var.name}-${count.index}"
      storage_encrypted = var.settings.encrypted
      port              = var.settings.ports[0]
    }
'''


def test_root_values_from_tfvars_and_var_are_converted(tmp_path):
    write_tree(tmp_path, {"main.tf": ROOT, "terraform.tfvars": 'instance_count = "2"\nname = null\n'})
    p = hcl.load_dir(str(tmp_path), variables=['settings={ ports = ["3306"], extra = 1 }'])
    dbs = {r.address: r.values for r in p.resources}
    assert set(dbs) == {"aws_db_instance.this[0]", "aws_db_instance.this[1]"}
    assert dbs["aws_db_instance.this[1]"] == {"identifier": "orders-1", "storage_encrypted": True, "port": 3306,
                                              "tags": None}


@pytest.mark.parametrize("files, variables, message", [
    ({"terraform.tfvars": 'name = "x"\n\ninstance_count = "two"\n'}, [],
     'terraform.tfvars:3: var.instance_count: a number is required, not the string "two" '
     '(variable instance_count is declared number)'),
    ({"prod.auto.tfvars.json": '{\n  "instance_count": 1,\n  "settings": {"encrypted": "maybe"}\n}\n'}, [],
     'prod.auto.tfvars.json:3: var.settings.encrypted: a bool is required, not the string "maybe"'),
    ({}, ["instance_count=2", "settings=[1, 2]"],
     "--var settings: var.settings: an object is required, not a list"),
    ({}, ["instance_count=2", "settings={ports = [1"], "--var settings:"),
])
def test_root_values_terraform_refuses_are_input_errors(tmp_path, files, variables, message):
    write_tree(tmp_path, {"main.tf": ROOT, **files})
    with pytest.raises(InputError) as e:
        hcl.load_dir(str(tmp_path), variables=variables)
    assert message in str(e.value), str(e.value)


def test_var_of_primitive_type_is_a_literal_string(tmp_path):
    """Terraform parses -var as HCL only for complex types: a string variable gets the text as written."""
    write_tree(tmp_path, {"main.tf": '''
        variable "name" { type = string }
        variable "untyped" {}
        resource "aws_sqs_queue" "q" {
          name = "${var.name}|${var.untyped}"
        }
    '''})
    p = hcl.load_dir(str(tmp_path), variables=['name=["a"]', "untyped={x = 1}"])
    assert p.resources[0].values["name"] == '["a"]|{x = 1}'


def test_bad_type_constraint_is_an_input_error_at_its_line(tmp_path, run_cli):
    write_tree(tmp_path, {"main.tf": 'variable "subnets" {\n  type = lisst(string)\n}\n'})
    r = run_cli("scan", tmp_path, "-o", tmp_path / "out.json")
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert f"{tmp_path}/main.tf:2: variable subnets: type = lisst(string): lisst(...) is not a type constructor" \
        in r.stderr
    assert not (tmp_path / "out.json").exists()


def test_for_each_over_a_converted_set(tmp_path):
    write_tree(tmp_path, {"main.tf": '''
        variable "queues" {
          type    = set(string)
          default = ["orders", "billing", "orders"]
        }
        resource "aws_sqs_queue" "q" {
          for_each = var.queues
          name     = each.key
        }
    '''})
    run = Run()
    addrs = [r.address for r in hcl.load_dir(str(tmp_path), run=run).resources]
    assert addrs == ['aws_sqs_queue.q["billing"]', 'aws_sqs_queue.q["orders"]']


def test_tf_json_variable_types_are_strings(tmp_path):
    import json
    write_tree(tmp_path, {"main.tf.json": json.dumps({
        "variable": {"ports": {"type": "map(number)", "default": {"https": "443"}}},
        "resource": {"aws_sqs_queue": {"q": {"name": "${var.ports.https + 1}"}}}})})
    assert hcl.load_dir(str(tmp_path)).resources[0].values["name"] == 444     # "443" became a number


def test_var_of_type_any_is_an_expression_as_in_terraform(tmp_path):
    write_tree(tmp_path, {"main.tf": '''
        variable "settings" { type = any }
        resource "aws_db_instance" "d" {
          backup_retention_period = var.settings.retention
          availability_zone       = var.settings.zones[1]
        }
    '''})
    p = hcl.load_dir(str(tmp_path), variables=['settings={ retention = 35, zones = ["a", "b"] }'])
    assert p.resources[0].values["backup_retention_period"] == 35
    assert p.resources[0].values["availability_zone"] == "b"
    with pytest.raises(InputError) as e:
        hcl.load_dir(str(tmp_path), variables=["settings=prod"])
    assert str(e.value) == ("--var settings: prod is not a value: a variables file or --var value cannot refer to "
                            "anything (quote a string)")
