"""The normalized resource model.

Every source adapter (Terraform plan, Terraform source, live AWS, live Azure)
turns what it reads into ``Resource`` objects of the kinds below, with the
fields below, each a ``Value``/``Unknown`` that carries its origin.  Rules read
only these kinds and fields: they never know which source produced them.

A field the adapter does not set is *absent*: the resource does not have that
property at all (for example an Azure SQL database has no encryption key; its
server has).  A control applies to a resource when the resource's kind is one
the control covers and at least one of the control's key fields is present.
A field that exists but could not be read must be set to ``Unknown(reason)``,
never left out: leaving it out would silently drop the check.

References between resources (a rule's source security group, the cluster of
an instance, the database a backup covers) are *keys*: strings that appear in
the target resource's ``keys`` (its address, ARN, resource ID, or cloud id).
``scanner.link`` resolves them after all sources have been read.

FIELD CONTRACT (kind -> field: type and meaning)
-----------------------------------------------
database        relational database / server / cluster
    encrypted                   bool   storage encrypted at rest
    encryption_key              str    key id/ARN/alias used for storage (None = service default key)
    encryption_key_managed_by   str    "customer" | "provider"  (who manages that key)
    multi_az                    bool   synchronous standby / zone-redundant (instances, Azure servers/databases)
    cluster_members             list[str] keys of member instances (clusters; filled by link from cluster_member)
    cluster_zone_count          int    distinct AZs of the members, when the source knows them (live)
    backup_retention_days       int    automated backup retention
    backup_cross_region         bool   backups copied to another region (may be filled by link)
    security_groups             list[str] keys of the security groups attached
    requires_tls / tls_min_version  (see "TLS fields") for Azure servers that carry them
    engine                      str
db_parameter_group  RDS (cluster) parameter group
    requires_tls, tls_min_version, family
cluster_member   aws_rds_cluster_instance: cluster (key), availability_zone
object_store     S3 bucket / Azure storage account
    default_encryption          str    "AES256" | "aws:kms" | "aws:kms:dsse" | "Microsoft.Storage" | "Microsoft.Keyvault" | None
    encryption_key_managed_by   str    "customer" | "provider"
    platform_encrypted          bool   the platform always encrypts (Azure): True
    versioning                  bool   object versioning enabled
    requires_tls, tls_min_version
volume           EBS volume: encrypted
file_system      EFS file system: encrypted
cache            ElastiCache replication group / Azure Cache for Redis
    at_rest_encrypted bool, requires_tls bool, tls_min_version str,
    automatic_failover bool, multi_az bool, node_count int, zone_count int,
    snapshot_retention_days int
data_store       Kinesis stream, SQS queue, SNS topic, DynamoDB table, Secrets Manager secret
    kms_encrypted               bool   encrypted with KMS (as CONTROLS.md ENC-04 defines per type)
    encryption                  str    SQS: "aws:kms" | "SSE-SQS" (keys owned by SQS, not KMS) | "none" |
                                       None (nothing declared: AWS's default SSE-SQS applies)
    platform_default            bool   SQS, nothing declared: AWS's default holds for the provider
                                       versions admitted (read only with accept_platform_default)
    pitr_enabled                bool   DynamoDB point-in-time recovery
    recovery_days               int    DynamoDB recovery_period_in_days when set
kms_key          encryption key: rotation_enabled bool, key_manager "customer"|"provider"
key_vault        purge_protection bool
security_group   AWS security group / Azure NSG
    tier                        str    value of the Tier tag (None = untiered)
    ingress, egress             list[dict] rules:
        {"protocol": "tcp"|"udp"|"icmp"|"-1"(all), "from_port": int, "to_port": int,
         "cidrs": [str], "source_groups": [key], "self": bool, "origin": Origin}
        an egress rule uses "cidrs"/"source_groups" for its destination.
application_security_group   Azure ASG: tier
sg_rule          a separate rule resource: group (key), direction "ingress"|"egress", rule (dict as above)
tls_listener     ALB/NLB listener, Azure Application Gateway
    protocol str, terminates_tls bool, tls_policy str, tls_min_version str ("1.2"),
    plain_http bool, http_redirects_to_https bool
edge_endpoint    CloudFront distribution, API Gateway domain, Front Door custom domain
    allows_plain_http bool, tls_policy str, tls_min_version str
backup_plan      AWS Backup plan: rules list[{"name", "retention_days": int|None, "copy_regions": [str]}], region
backup_selection AWS Backup selection: plan (key), resources [key|ARN pattern], tag_conditions [{"key","value"}]
backup_replication  automated backups replication: source (key of the database), region
web_entry        internet-facing HTTP entry point without TLS fields of its own: application load balancer
                 (aws_lb), API Gateway REST API stage, Front Door endpoint
    internet_facing             bool   present only when it is not known (an aws_lb whose `internal` is not
                                       known); an internal load balancer gets no WAF fields (not applicable)
    web_acl                     str    what filters its requests: the web ACL / firewall policy (key or id), or
                                       "waf_configuration" (Azure inline WAF); None = no web application firewall
    waf_mode                    str    Azure: "Prevention" | "Detection" | "Disabled" of that firewall
    (tls_listener for an Azure Application Gateway and edge_endpoint for CloudFront carry web_acl / waf_mode too)
network          virtual network: AWS VPC, Azure virtual network
    flow_logged                 bool   its traffic, accepted and rejected, is recorded (AWS: a VPC flow log with
                                       traffic_type ALL; Azure: an enabled flow log on the network or on each NSG
                                       of its subnets)
function         serverless function (aws_lambda_function)
    tracing_mode                str    "Active" | "PassThrough" (request tracing)
subscription     a topic's subscription (SNS) or Service Bus topic subscription: protocol str (SNS), dead_letter
secret           a secret held in a vault (Azure Key Vault secret): expires str (ISO 8601 UTC) | None (never)
dead_letter      str|bool|None  (data_store SQS/Service Bus queues, subscription) where messages that cannot be
                               processed go: the dead-letter target's key/ARN (SQS, SNS), True (Service Bus
                               dead-lettering on expiration); None/False = nowhere (MSG-01)
dead_letter_source bool  (SQS) it is itself some queue's dead-letter target or names a redrive_allow_policy
rotation_days    int|None  (data_store secrets, kms_key of Key Vault) the automatic rotation interval in days, an
                           upper bound; None = no automatic rotation (SEC-02)
iam_policy       customer-written permissions: AWS managed policy or inline role/user/group policy, Azure custom role
    statements                  list[dict] {"effect": "Allow"|"Deny", "actions", "not_actions", "resources",
                                "not_resources": list[str] | None (not in the statement)}; any list or element
                                may be Unknown (IAM-01). An Azure custom role is one Allow statement per
                                permissions entry, its actions on every resource ("*": where it is assigned)
iam_user         a person's IAM user (live AWS, from the credential report): console_password bool
                 (password_enabled), mfa_active bool (IAM-02)
publicly_accessible  bool  (database, cache, cluster_member) reachable from the public internet (RDS
                           PubliclyAccessible, Azure public network access); an aws_rds_cluster is public when
                           any of its cluster_members is
generic          any other taggable resource: only tags

Fields every kind may carry:
    tags            dict[str, str|Unknown]   present only on taggable resources. The whole
                                             field is Unknown when the map could not be read;
                                             the key "*" mapped to an Unknown means "other tags
                                             may exist that could not be resolved" (for example
                                             provider default_tags set from a reference).
    inherited_tags  dict[str, str]           Azure: the resource group's tags (TAG-01 counts
                                             them only when the profile says so)

TLS fields (any kind): requires_tls bool (only encrypted connections accepted),
tls_min_version str normalised to "1.0" | "1.1" | "1.2" | "1.3".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import AbstractSet, Any

from .values import Absent, Origin, Unknown, Value

KINDS = (
    "database", "db_parameter_group", "cluster_member", "object_store", "volume",
    "file_system", "cache", "data_store", "kms_key", "key_vault", "security_group",
    "application_security_group", "sg_rule", "tls_listener", "edge_endpoint",
    "backup_plan", "backup_selection", "backup_replication", "web_entry", "network", "function",
    "subscription", "secret", "iam_policy", "iam_user", "generic",
)

# Kinds that only exist to be linked into others; they get no findings of their own
# except where a control names them (backup_plan for BAK-03).
LINK_KINDS = {"cluster_member", "sg_rule", "backup_selection", "backup_replication"}


@dataclass
class Resource:
    """One resource of the normalized model, whatever source it came from: kind, fields, identities."""

    kind: str
    type: str                 # Terraform-equivalent type, e.g. aws_db_instance (all sources)
    address: str              # Terraform address / ARN / ARM resource ID
    provider: str             # aws | azure
    source: str               # terraform-plan | terraform-source | aws | azure
    name: str = ""
    fields: dict[str, Value] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)   # every identity a reference may use
    file: str | None = None
    line: int | None = None
    context: dict[str, Any] = field(default_factory=dict)  # account, region, subscription, ...
    opaque: str | None = None   # why nothing about this resource can be known (every control: unknown)
    existence: str | None = None  # why it may not be created (count/for_each not known); None: it is
    # the record the adapter mapped it from, shared, never copied: planned values / evaluated .tf
    # attributes (TfResource.values), the AWS API item, the ARM resource JSON; user fields read it
    raw: Any = field(default=None, repr=False, compare=False)
    raw_api: str | None = None   # live sources: the call whose answer ``raw`` is ("rds:DescribeDBInstances")
    # the values its source marks secret (a plan's sensitive_values: a tag set from a sensitive
    # variable; a .tf tree's sensitive variables, one set shared by its resources): rules may judge
    # them, no report shows them (withheld.scrub_findings)
    secrets: AbstractSet = field(default=frozenset(), repr=False, compare=False)

    def __post_init__(self):
        assert self.kind in KINDS, self.kind
        self.keys.add(self.address)

    def __getitem__(self, name: str) -> Value:
        v = self.fields.get(name)
        return Absent(Origin(self.source, name)) if v is None else v

    def has(self, name: str) -> bool:
        return name in self.fields

    def set(self, name: str, value: Value) -> None:
        self.fields[name] = value

    def ref_dict(self) -> dict[str, Any]:
        d = {"address": self.address, "type": self.type, "provider": self.provider,
             "source": self.source, "name": self.name or self.address}
        if self.file:
            d["file"] = self.file
        if self.line:
            d["line"] = self.line
        for k, v in self.context.items():
            if v is not None:
                d[k] = v
        return d


def known(value, path: str, source: str, file=None, line=None) -> Value:
    """Shorthand for adapters: a known Value with an origin."""
    return Value(value, Origin(source, path, file, line))


def unknown(reason: str, path: str, source: str, file=None, line=None) -> Unknown:
    return Unknown(reason, Origin(source, path, file, line))
