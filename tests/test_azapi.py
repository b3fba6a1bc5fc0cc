"""azapi_resource (Azure Verified Modules): the body is read by the live ARM mapper, so the
verdicts equal an azurerm_* resource's and a live audit's for the same settings."""
import pytest

from conftest import write_tree

from scanner.results import Run
from scanner.sources.terraform import hcl

from test_hcl import findings

TAGS = '{ Environment = "prod", Project = "p", CostCenter = "c", Owner = "o" }'


def storage(tmp_path, props: str, body_style: str = "object"):
    body = f"{{\n    properties = {{\n{props}\n    }}\n  }}"
    if body_style == "json":
        body = f"jsonencode({body})"
    write_tree(tmp_path, {"main.tf": f'''
resource "azapi_resource" "sa" {{
  type      = "Microsoft.Storage/storageAccounts@2023-01-01"
  name      = "sa1"
  parent_id = "/subscriptions/0/resourceGroups/rg"
  location  = "westeurope"
  tags      = {TAGS}
  body = {body}
}}
'''})
    return hcl.load_dir(str(tmp_path), run=Run())


@pytest.mark.parametrize("style", ["object", "json"])
def test_storage_account_body_gives_the_azurerm_verdicts(tmp_path, style):
    p = storage(tmp_path, '      minimumTlsVersion = "TLS1_2"\n      supportsHttpsTrafficOnly = true', style)
    f = findings(p, "TLS-03")["azapi_resource.sa"]
    assert f.status == "pass", f.message
    assert f.resource.type == "azurerm_storage_account"
    ev = f.evidence
    assert any("body.properties.minimumTlsVersion" in k for k in ev), ev
    assert findings(p, "TAG-01")["azapi_resource.sa"].status == "pass"


def test_storage_account_body_with_old_tls_fails(tmp_path):
    p = storage(tmp_path, '      minimumTlsVersion = "TLS1_0"\n      supportsHttpsTrafficOnly = true')
    assert findings(p, "TLS-03")["azapi_resource.sa"].status == "fail"


def test_body_value_not_known_is_unknown_not_a_default(tmp_path):
    write_tree(tmp_path, {"main.tf": f'''
data "azapi_resource" "policy" {{
  type = "Microsoft.Foo/bars@2020-01-01"
}}
resource "azapi_resource" "sa" {{
  type = "Microsoft.Storage/storageAccounts@2023-01-01"
  name = "sa1"
  tags = {TAGS}
  body = {{
    properties = {{
      minimumTlsVersion        = data.azapi_resource.policy.output.tls
      supportsHttpsTrafficOnly = true
    }}
  }}
}}
'''})
    p = hcl.load_dir(str(tmp_path), run=Run())
    f = findings(p, "TLS-03")["azapi_resource.sa"]
    assert f.status == "unknown", f.message


def test_uncovered_arm_type_is_tags_only(tmp_path):
    write_tree(tmp_path, {"main.tf": '''
resource "azapi_resource" "x" {
  type = "Microsoft.Foo/bars@2020-01-01"
  name = "x"
  tags = {}
  body = {}
}
'''})
    p = hcl.load_dir(str(tmp_path), run=Run())
    assert findings(p, "TAG-01")["azapi_resource.x"].status == "fail"
    assert "azapi_resource.x" not in findings(p, "TLS-03")
