"""Every AWS operation the audit may call, and the IAM action that allows it.

This table is the single list behind three things: the read-only guard
(``guard.py`` refuses any operation that is not in it), the IAM policy shipped
in ``scanner/data/aws-iam-policy.json`` (``specguard audit aws
--print-iam-policy``), and the test that checks every operation the audit
really calls is in that policy.  Import-light: no boto3 here.
"""
from __future__ import annotations

import json
from importlib import resources as ires

# boto3 service name -> IAM service prefix (also the prefix of the "api" strings in evidence)
PREFIX = {
    "elbv2": "elasticloadbalancing",
    "efs": "elasticfilesystem",
    "apigatewayv2": "apigateway",
    "resourcegroupstaggingapi": "tag",
}

# (boto3 service, operation) -> IAM action.  Only reads, plus sts:AssumeRole.
OPERATIONS: dict[tuple[str, str], str] = {
    ("sts", "GetCallerIdentity"): "sts:GetCallerIdentity",
    ("sts", "AssumeRole"): "sts:AssumeRole",
    ("organizations", "ListAccounts"): "organizations:ListAccounts",
    ("ec2", "DescribeRegions"): "ec2:DescribeRegions",
    ("ec2", "DescribeSecurityGroups"): "ec2:DescribeSecurityGroups",
    ("ec2", "DescribeVolumes"): "ec2:DescribeVolumes",
    ("ec2", "DescribeVpcs"): "ec2:DescribeVpcs",
    ("ec2", "DescribeFlowLogs"): "ec2:DescribeFlowLogs",
    ("wafv2", "GetWebACLForResource"): "wafv2:GetWebACLForResource",
    ("apigateway", "GetRestApis"): "apigateway:GET",
    ("apigateway", "GetStages"): "apigateway:GET",
    ("lambda", "ListFunctions"): "lambda:ListFunctions",
    ("lambda", "ListTags"): "lambda:ListTags",
    ("rds", "DescribeDBInstances"): "rds:DescribeDBInstances",
    ("rds", "DescribeDBClusters"): "rds:DescribeDBClusters",
    ("rds", "DescribeDBParameterGroups"): "rds:DescribeDBParameterGroups",
    ("rds", "DescribeDBParameters"): "rds:DescribeDBParameters",
    ("rds", "DescribeDBClusterParameterGroups"): "rds:DescribeDBClusterParameterGroups",
    ("rds", "DescribeDBClusterParameters"): "rds:DescribeDBClusterParameters",
    ("rds", "ListTagsForResource"): "rds:ListTagsForResource",
    ("rds", "DescribeGlobalClusters"): "rds:DescribeGlobalClusters",   # DR-01 (issue 17)
    ("kms", "ListKeys"): "kms:ListKeys",
    ("kms", "DescribeKey"): "kms:DescribeKey",
    ("kms", "GetKeyRotationStatus"): "kms:GetKeyRotationStatus",
    ("kms", "ListResourceTags"): "kms:ListResourceTags",
    ("elbv2", "DescribeLoadBalancers"): "elasticloadbalancing:DescribeLoadBalancers",
    ("elbv2", "DescribeListeners"): "elasticloadbalancing:DescribeListeners",
    ("elbv2", "DescribeTags"): "elasticloadbalancing:DescribeTags",
    ("cloudfront", "ListDistributions"): "cloudfront:ListDistributions",
    ("cloudfront", "ListTagsForResource"): "cloudfront:ListTagsForResource",
    ("cloudfront", "GetDistributionConfig"): "cloudfront:GetDistributionConfig",
    ("apigateway", "GetDomainNames"): "apigateway:GET",
    ("apigatewayv2", "GetDomainNames"): "apigateway:GET",
    ("efs", "DescribeFileSystems"): "elasticfilesystem:DescribeFileSystems",
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetBucketLocation"): "s3:GetBucketLocation",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetBucketVersioning"): "s3:GetBucketVersioning",
    ("s3", "GetBucketTagging"): "s3:GetBucketTagging",
    ("s3", "GetBucketReplication"): "s3:GetReplicationConfiguration",   # DR-01 (issue 17)
    ("dynamodb", "ListTables"): "dynamodb:ListTables",
    ("dynamodb", "DescribeTable"): "dynamodb:DescribeTable",
    ("dynamodb", "DescribeContinuousBackups"): "dynamodb:DescribeContinuousBackups",
    ("dynamodb", "ListTagsOfResource"): "dynamodb:ListTagsOfResource",
    ("elasticache", "DescribeReplicationGroups"): "elasticache:DescribeReplicationGroups",
    ("elasticache", "ListTagsForResource"): "elasticache:ListTagsForResource",
    ("kinesis", "ListStreams"): "kinesis:ListStreams",
    ("kinesis", "DescribeStreamSummary"): "kinesis:DescribeStreamSummary",
    ("kinesis", "ListTagsForStream"): "kinesis:ListTagsForStream",
    ("sqs", "ListQueues"): "sqs:ListQueues",
    ("sqs", "GetQueueAttributes"): "sqs:GetQueueAttributes",
    ("sqs", "ListQueueTags"): "sqs:ListQueueTags",
    ("sns", "ListTopics"): "sns:ListTopics",
    ("sns", "GetTopicAttributes"): "sns:GetTopicAttributes",
    ("sns", "ListTagsForResource"): "sns:ListTagsForResource",
    ("sns", "ListSubscriptions"): "sns:ListSubscriptions",
    ("sns", "GetSubscriptionAttributes"): "sns:GetSubscriptionAttributes",
    ("secretsmanager", "ListSecrets"): "secretsmanager:ListSecrets",
    ("backup", "ListBackupPlans"): "backup:ListBackupPlans",
    ("backup", "GetBackupPlan"): "backup:GetBackupPlan",
    ("backup", "ListBackupSelections"): "backup:ListBackupSelections",
    ("backup", "GetBackupSelection"): "backup:GetBackupSelection",
    ("backup", "ListTags"): "backup:ListTags",
    ("resourcegroupstaggingapi", "GetResources"): "tag:GetResources",
    # IAM-01, IAM-02 (issue 17): global, read once per account
    ("iam", "ListPolicies"): "iam:ListPolicies",
    ("iam", "GetPolicyVersion"): "iam:GetPolicyVersion",
    ("iam", "ListPolicyTags"): "iam:ListPolicyTags",
    ("iam", "ListRoles"): "iam:ListRoles",
    ("iam", "ListRolePolicies"): "iam:ListRolePolicies",
    ("iam", "GetRolePolicy"): "iam:GetRolePolicy",
    ("iam", "GenerateCredentialReport"): "iam:GenerateCredentialReport",
    ("iam", "GetCredentialReport"): "iam:GetCredentialReport",
}

# Operations of the table whose names are not those of reads, and why each is on it. The guard is an
# allow-list (is_read_only): a name decides nothing either way; this records why these two are allowed.
NOT_NAMED_AS_READS: dict[tuple[str, str], str] = {
    ("sts", "AssumeRole"): "enters the audited account with the role the user named (--role-arn, --org-role); "
                           "it changes nothing in either account",
    ("iam", "GenerateCredentialReport"): "asks IAM to build the account's credential report, which "
                                         "GetCredentialReport then reads (IAM-02, named by CONTROLS.md); it "
                                         "changes no user, credential, policy or setting, and the report it "
                                         "refreshes is IAM's own (one per account, rebuilt at most every 4 hours)",
}



def is_read_only(service: str, operation: str) -> bool:
    """True only for an operation of the table above: the guard is an allow-list.

    Naming rules ("Describe*/List*/Get* are reads") let through what they did not foresee:
    ssm:GetParameterHistory returns decrypted SecureStrings, sts:GetSessionToken and
    ecr:GetAuthorizationToken mint credentials, redshift:GetClusterCredentials makes a database
    user.  An operation the audit does not call is refused, whatever its name.
    """
    return (service, operation) in OPERATIONS


def api_name(service: str, operation: str) -> str:
    """The name used in evidence and coverage entries: "rds:DescribeDBInstances"."""
    return f"{PREFIX.get(service, service)}:{operation}"


def policy_document() -> dict:
    """The minimal IAM policy of the audit, built from OPERATIONS."""
    actions = sorted({a for a in OPERATIONS.values() if not a.startswith("apigateway:")})
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "SpecguardReadOnlyAudit", "Effect": "Allow", "Action": actions, "Resource": "*"},
            {"Sid": "SpecguardApiGatewayDomainNames", "Effect": "Allow", "Action": ["apigateway:GET"],
             "Resource": ["arn:aws:apigateway:*::/domainnames", "arn:aws:apigateway:*::/domainnames/*",
                          "arn:aws:apigateway:*::/v2/domainnames", "arn:aws:apigateway:*::/v2/domainnames/*",
                          "arn:aws:apigateway:*::/restapis", "arn:aws:apigateway:*::/restapis/*/stages"]},
        ],
    }


def shipped_policy_text() -> str:
    return ires.files("scanner").joinpath("data/aws-iam-policy.json").read_text("utf-8")


def shipped_actions() -> set[str]:
    doc = json.loads(shipped_policy_text())
    out: set[str] = set()
    for st in doc["Statement"]:
        acts = st["Action"]
        out.update([acts] if isinstance(acts, str) else acts)
    return out
