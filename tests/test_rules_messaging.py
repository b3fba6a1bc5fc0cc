"""MSG-01 and SEC-02 on .tf source and plans: redrive policies resolved through references, dead-letter
targets not applicable, unresolvable references unknown (never a pass), rotation intervals, expiry dates.

Each case is a small configuration; the fixtures (tests/test_fixtures.py) cover the seeds' platform.
"""
from datetime import timedelta

import pytest

from conftest import write_tree
from planlib import Plan

from scanner.results import Run
from scanner.sources.rotation import iso_days, schedule_days
from scanner.sources.terraform import hcl

from test_hcl import findings, verdicts


def scan(tmp_path, text):
    write_tree(tmp_path, {"main.tf": text})
    return hcl.load_dir(str(tmp_path), run=Run())


def msg(tmp_path, text):
    return {a: s for (_c, a), s in verdicts(scan(tmp_path, text), "MSG-01").items()}


def sec(tmp_path, text):
    return {a: s for (_c, a), s in verdicts(scan(tmp_path, text), "SEC-02").items()}


# ----------------------------------------------------------------------------- MSG-01: SQS
def test_queue_with_a_dlq_passes_the_dlq_is_not_applicable_and_a_queue_without_fails(tmp_path):
    got = msg(tmp_path, '''
resource "aws_sqs_queue" "dlq" { name = "orders-dlq" }
resource "aws_sqs_queue" "orders" {
  name           = "orders"
  redrive_policy = jsonencode({ deadLetterTargetArn = aws_sqs_queue.dlq.arn, maxReceiveCount = 5 })
}
resource "aws_sqs_queue" "audit" { name = "audit" }
''')
    assert got == {"aws_sqs_queue.orders": "pass", "aws_sqs_queue.audit": "fail"}


def test_literal_policy_is_parsed_and_names_its_target(tmp_path):
    got = msg(tmp_path, '''
resource "aws_sqs_queue" "orders" {
  name           = "orders"
  redrive_policy = "{\\"deadLetterTargetArn\\":\\"arn:aws:sqs:us-east-1:111122223333:shared-dlq\\",\\"maxReceiveCount\\":3}"
}
resource "aws_sqs_queue" "no_target" {
  name           = "no-target"
  redrive_policy = jsonencode({ maxReceiveCount = 3 })
}
''')
    assert got == {"aws_sqs_queue.orders": "pass", "aws_sqs_queue.no_target": "fail"}


def test_a_policy_that_is_not_json_is_unknown_and_may_name_any_queue(tmp_path):
    got = msg(tmp_path, '''
resource "aws_sqs_queue" "broken" {
  name           = "broken"
  redrive_policy = "not json"
}
resource "aws_sqs_queue" "plain" { name = "plain" }
''')
    assert got == {"aws_sqs_queue.broken": "unknown", "aws_sqs_queue.plain": "unknown"}


def test_redrive_allow_policy_and_separate_policy_resources(tmp_path):
    got = msg(tmp_path, '''
resource "aws_sqs_queue" "dlq" {
  name                 = "dlq"
  redrive_allow_policy = jsonencode({ redrivePermission = "allowAll" })
}
resource "aws_sqs_queue" "orders" { name = "orders" }
resource "aws_sqs_queue_redrive_policy" "orders" {
  queue_url      = aws_sqs_queue.orders.id
  redrive_policy = jsonencode({ deadLetterTargetArn = aws_sqs_queue.dlq.arn, maxReceiveCount = 4 })
}
resource "aws_sqs_queue" "other_dlq" { name = "other-dlq" }
resource "aws_sqs_queue_redrive_allow_policy" "other" {
  queue_url            = aws_sqs_queue.other_dlq.id
  redrive_allow_policy = jsonencode({ redrivePermission = "byQueue", sourceQueueArns = [aws_sqs_queue.orders.arn] })
}
''')
    assert got == {"aws_sqs_queue.orders": "pass"}


def test_a_target_read_after_apply_is_unknown_and_only_queues_it_may_name_are_in_doubt(tmp_path):
    base = '''
resource "aws_sqs_queue" "orders" {
  name           = "orders"
  redrive_policy = jsonencode({ deadLetterTargetArn = data.aws_sqs_queue.shared.arn, maxReceiveCount = 5 })
}
resource "aws_sqs_queue" "left_over" { name = "orders-dlq" }
data "aws_sqs_queue" "shared" {
  name       = %s
  depends_on = [aws_sqs_queue.left_over]
}
'''
    # the data source names another team's queue: ours without a DLQ still fails
    assert msg(tmp_path, base % '"shared-dead-letters"') == {"aws_sqs_queue.orders": "unknown",
                                                             "aws_sqs_queue.left_over": "fail"}
    # it reads a queue of ours by name: that queue may be the target -- unknown, not fail
    assert msg(tmp_path, base % '"orders-dlq"') == {"aws_sqs_queue.orders": "unknown",
                                                    "aws_sqs_queue.left_over": "unknown"}


def test_a_policy_built_from_a_template_may_name_any_queue(tmp_path):
    f = findings(scan(tmp_path, '''
data "aws_caller_identity" "me" {}
resource "aws_sqs_queue" "orders" {
  name           = "orders"
  redrive_policy = jsonencode({
    deadLetterTargetArn = "arn:aws:sqs:us-east-1:${data.aws_caller_identity.me.account_id}:orders-dlq"
    maxReceiveCount     = 5
  })
}
resource "aws_sqs_queue" "dlq" { name = "orders-dlq" }
'''), "MSG-01")
    assert f["aws_sqs_queue.orders"].status == "unknown"
    assert f["aws_sqs_queue.dlq"].status == "unknown"
    assert "may be the dead-letter queue of aws_sqs_queue.orders" in f["aws_sqs_queue.dlq"].message


def test_a_conditional_target_is_unknown_never_pass(tmp_path):
    got = msg(tmp_path, '''
data "aws_ssm_parameter" "mode" { name = "mode" }
resource "aws_sqs_queue" "a" { name = "a" }
resource "aws_sqs_queue" "b" { name = "b" }
resource "aws_sqs_queue" "orders" {
  name           = "orders"
  redrive_policy = data.aws_ssm_parameter.mode.value == "x" ? jsonencode({ deadLetterTargetArn = aws_sqs_queue.a.arn }) : null
}
''')
    assert got["aws_sqs_queue.orders"] == "unknown"


def test_plan_resolves_the_target_through_configuration_references():
    p = Plan()
    p.add("aws_sqs_queue", "dlq", {"name": "dlq"}, unknown={"arn": True, "redrive_policy": True})
    p.add("aws_sqs_queue", "orders", {"name": "orders"}, unknown={"arn": True, "redrive_policy": True},
          refs={"redrive_policy": ["aws_sqs_queue.dlq.arn", "aws_sqs_queue.dlq"]})
    p.add("aws_sqs_queue", "stray", {"name": "stray"}, unknown={"arn": True, "redrive_policy": True})
    # redrive_policy unknown in a plan while configuration does not write it: no DLQ (Optional+Computed)
    assert p.verdicts("MSG-01") == {"aws_sqs_queue.orders": "pass", "aws_sqs_queue.stray": "fail"}
    f = {x.resource.address: x for x in p.findings("MSG-01")}
    assert f["aws_sqs_queue.orders"].evidence["redrive_policy.deadLetterTargetArn -> aws_sqs_queue.dlq"] == \
        "aws_sqs_queue.dlq"


def test_plan_with_a_known_policy_names_the_target_by_arn():
    arn = "arn:aws:sqs:us-east-1:111122223333:dlq"
    p = Plan()
    p.add("aws_sqs_queue", "dlq", {"name": "dlq", "arn": arn})
    p.add("aws_sqs_queue", "orders", {"name": "orders", "arn": arn.replace("dlq", "orders"),
                                      "redrive_policy": '{"deadLetterTargetArn":"%s","maxReceiveCount":5}' % arn})
    assert p.verdicts("MSG-01") == {"aws_sqs_queue.orders": "pass"}


# ----------------------------------------------------------------------------- MSG-01: SNS, Service Bus
def test_sns_subscriptions_by_protocol(tmp_path):
    got = msg(tmp_path, '''
resource "aws_sns_topic" "t" { name = "t" }
resource "aws_sqs_queue" "q" { name = "q" }
resource "aws_sqs_queue" "dlq" { name = "dlq" }
resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  queue_url            = aws_sqs_queue.dlq.id
  redrive_allow_policy = jsonencode({ redrivePermission = "allowAll" })
}
resource "aws_sqs_queue_redrive_allow_policy" "q" {
  queue_url            = aws_sqs_queue.q.id
  redrive_allow_policy = jsonencode({ redrivePermission = "allowAll" })
}
resource "aws_sns_topic_subscription" "to_queue" {
  topic_arn      = aws_sns_topic.t.arn
  protocol       = "sqs"
  endpoint       = aws_sqs_queue.q.arn
  redrive_policy = jsonencode({ deadLetterTargetArn = aws_sqs_queue.dlq.arn })
}
resource "aws_sns_topic_subscription" "webhook" {
  topic_arn = aws_sns_topic.t.arn
  protocol  = "https"
  endpoint  = "https://hooks.example.com/x"
}
resource "aws_sns_topic_subscription" "mail" {
  topic_arn = aws_sns_topic.t.arn
  protocol  = "email"
  endpoint  = "ops@example.com"
}
''')
    assert got == {"aws_sns_topic_subscription.to_queue": "pass", "aws_sns_topic_subscription.webhook": "fail"}


def test_service_bus_dead_lettering_defaults_to_off(tmp_path):
    got = msg(tmp_path, '''
resource "azurerm_servicebus_queue" "on" {
  name                                 = "on"
  namespace_id                         = "/subscriptions/s/resourceGroups/r/providers/Microsoft.ServiceBus/namespaces/n"
  dead_lettering_on_message_expiration = true
}
resource "azurerm_servicebus_queue" "unset" {
  name         = "unset"
  namespace_id = "/subscriptions/s/resourceGroups/r/providers/Microsoft.ServiceBus/namespaces/n"
}
resource "azurerm_servicebus_subscription" "s" {
  name               = "s"
  topic_id           = "/subscriptions/s/resourceGroups/r/providers/Microsoft.ServiceBus/namespaces/n/topics/t"
  max_delivery_count = 10
}
''')
    assert got == {"azurerm_servicebus_queue.on": "pass", "azurerm_servicebus_queue.unset": "fail",
                   "azurerm_servicebus_subscription.s": "fail"}


# ----------------------------------------------------------------------------- SEC-02: Secrets Manager
SECRET = 'resource "aws_secretsmanager_secret" "s" { name = "s" }\n'


@pytest.mark.parametrize("rules,status", [
    ("automatically_after_days = 30", "pass"),
    ("automatically_after_days = 90", "pass"),
    ("automatically_after_days = 365", "fail"),
    ('schedule_expression = "rate(10 days)"', "pass"),
    ('schedule_expression = "cron(0 16 1,15 * ? *)"', "pass"),
    ('schedule_expression = "cron(0 0 1 */3 ? *)"', "fail"),     # 92 days from 1 July to 1 October
    ('schedule_expression = "cron(0 0 1 1 ? 2027)"', "unknown"),  # only in one year
])
def test_secret_rotation_interval(tmp_path, rules, status):
    got = sec(tmp_path, SECRET + '''
resource "aws_secretsmanager_secret_rotation" "s" {
  secret_id = aws_secretsmanager_secret.s.id
  rotation_rules {
    %s
  }
}''' % rules)
    assert got == {"aws_secretsmanager_secret.s": status}


def test_a_secret_without_rotation_fails_and_one_named_after_apply_is_unknown(tmp_path):
    got = sec(tmp_path, SECRET + '''
resource "aws_secretsmanager_secret" "t" { name = "t" }
data "aws_secretsmanager_secret" "t" {
  name       = "t"
  depends_on = [aws_secretsmanager_secret.t]
}
resource "aws_secretsmanager_secret_rotation" "t" {
  secret_id = data.aws_secretsmanager_secret.t.id
  rotation_rules {
    automatically_after_days = 30
  }
}
resource "aws_secretsmanager_secret" "u" { name = "u" }
resource "aws_secretsmanager_secret_rotation" "u" {
  secret_id = aws_secretsmanager_secret.u.id
  rotation_rules {
    automatically_after_days = 7
  }
}''')
    # the rotation that names its secret only after apply may be s's or t's: neither fails nor passes
    assert got == {"aws_secretsmanager_secret.s": "unknown", "aws_secretsmanager_secret.t": "unknown",
                   "aws_secretsmanager_secret.u": "pass"}


def test_no_rotation_anywhere_fails_with_where_it_looked(tmp_path):
    f = findings(scan(tmp_path, SECRET), "SEC-02")["aws_secretsmanager_secret.s"]
    assert f.status == "fail" and "does not rotate automatically" in f.message
    assert "aws_secretsmanager_secret_rotation (none names this secret)" in f.evidence


# ----------------------------------------------------------------------------- SEC-02: Key Vault
KV = '''
resource "azurerm_key_vault_secret" "s" {
  name         = "s"
  key_vault_id = "/subscriptions/s/resourceGroups/r/providers/Microsoft.KeyVault/vaults/v"
  value        = "placeholder-not-secret"
  %s
}
'''


def _day(days):
    from scanner.controls import evaluation_time   # the suite pins it (conftest.py): days from then
    return (evaluation_time() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_expiry_is_measured_from_the_evaluation_time(tmp_path, monkeypatch):
    """SEC-02's "days ahead" is measured from SPECGUARD_EVALUATION_TIME when it is set (a run reproduced as
    of a date; the suite pins it so the fixtures' expiry dates do not age out), else from now."""
    text = KV % 'expiration_date = "2027-02-28T00:00:00Z"'
    monkeypatch.setenv("SPECGUARD_EVALUATION_TIME", "2026-12-06T00:00:00Z")
    assert sec(tmp_path, text) == {"azurerm_key_vault_secret.s": "pass"}        # 84 days ahead
    monkeypatch.setenv("SPECGUARD_EVALUATION_TIME", "2026-09-01T00:00:00Z")
    assert sec(tmp_path, text) == {"azurerm_key_vault_secret.s": "fail"}        # 180 days ahead
    monkeypatch.setenv("SPECGUARD_EVALUATION_TIME", "yesterday")
    from scanner.errors import InputError
    with pytest.raises(InputError, match="SPECGUARD_EVALUATION_TIME"):
        sec(tmp_path, text)


@pytest.mark.parametrize("attr,status", [
    (lambda: f'expiration_date = "{_day(30)}"', "pass"),
    (lambda: f'expiration_date = "{_day(89)}"', "pass"),
    (lambda: f'expiration_date = "{_day(-3)}"', "pass"),     # expired: it cannot be used any more
    (lambda: f'expiration_date = "{_day(120)}"', "fail"),
    (lambda: "", "fail"),                                     # never expires
    (lambda: 'expiration_date = timeadd(timestamp(), "2160h")', "unknown"),   # known only at apply
])
def test_key_vault_secret_expiry(tmp_path, attr, status):
    assert sec(tmp_path, KV % attr()) == {"azurerm_key_vault_secret.s": status}


KEY = '''
resource "azurerm_key_vault_key" "k" {
  name         = "k"
  key_vault_id = "/subscriptions/s/resourceGroups/r/providers/Microsoft.KeyVault/vaults/v"
  key_type     = "RSA"
  key_size     = 2048
  key_opts     = ["wrapKey", "unwrapKey"]
  %s
}
'''


@pytest.mark.parametrize("policy,status", [
    ('rotation_policy {\n    automatic {\n      time_after_creation = "P90D"\n    }\n  }', "pass"),
    ('rotation_policy {\n    automatic {\n      time_after_creation = "P3M"\n    }\n  }', "fail"),   # up to 92 days
    ('rotation_policy {\n    expire_after = "P120D"\n    automatic {\n      time_before_expiry = "P60D"\n    }\n  }',
     "pass"),
    ('rotation_policy {\n    expire_after = "P365D"\n    automatic {\n      time_before_expiry = "P30D"\n    }\n  }',
     "fail"),
    ('rotation_policy {\n    expire_after = "P365D"\n    notify_before_expiry = "P30D"\n  }', "fail"),   # no rotation
    ("", "fail"),
])
def test_key_vault_key_rotation_policy(tmp_path, policy, status):
    assert sec(tmp_path, KEY % policy) == {"azurerm_key_vault_key.k": status}


def test_aws_kms_keys_are_not_sec02s(tmp_path):
    assert sec(tmp_path, 'resource "aws_kms_key" "k" {\n  enable_key_rotation = true\n}\n') == {}


# ----------------------------------------------------------------------------- the interval readers
def test_schedule_and_duration_readers():
    assert schedule_days("rate(10 days)") == 10 and schedule_days("rate(4 hours)") == 1
    assert schedule_days("cron(0 0 1 1,3,5,7,9,11 ? *)") == 62
    assert schedule_days("cron(0 0 1 JAN-DEC ? *)") == 31
    assert schedule_days("cron(0 0 1 1 ? *)") == 366
    assert isinstance(schedule_days("every day"), str) and isinstance(schedule_days("cron(0 0 1 1 ?)"), str)
    assert iso_days("P90D") == 90 and iso_days("P2M") == 62 and iso_days("P1Y") == 366 and iso_days("PT36H") == 2
    assert isinstance(iso_days("90 days"), str) and isinstance(iso_days("P"), str)
