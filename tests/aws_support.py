"""Live-AWS test support: moto's server on loopback, a fault-injecting proxy, and the trading-platform loader.

The audit under test is the production code path: boto3 reaches these servers
only through configuration (AWS_ENDPOINT_URL and fake credentials in the
environment), never through patched clients.

    server = MotoServer()                      # moto.server.ThreadedMotoServer on 127.0.0.1, free port
    proxy = FaultProxy(server.url)             # in front of it: faults, added latency, request counts
    proxy.fail(service="rds", op="DescribeDBInstances", region="eu-west-1", error="AccessDenied")
    env = aws_env(proxy.url)                   # environment for the audit
"""
from __future__ import annotations

import http.client
import io
import json
import os
import pathlib
import logging
import re
import threading
import time
import urllib.parse
import urllib.request
import zipfile
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

ACCOUNT = "123456789012"   # moto's default account for any access key it did not issue


# ----------------------------------------------------------------------------- moto server
class MotoServer:
    """moto's server on 127.0.0.1 and a free port: a thread of this process, or (``process=True``,
    for the benchmark) a process of its own, so its CPU does not compete with ours for one GIL."""

    def __init__(self, process: bool = False):
        self._proc = self._server = None
        if process:
            import socket
            import subprocess
            import sys
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            self._proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.url = f"http://127.0.0.1:{port}"
            for _ in range(200):
                try:
                    urllib.request.urlopen(self.url + "/moto-api/", timeout=1).read()
                    break
                except OSError:
                    time.sleep(0.05)
            return
        from moto.server import ThreadedMotoServer
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server process (process mode, Linux), for the benchmark."""
        fields = pathlib.Path(f"/proc/{self._proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def reset(self) -> None:
        req = urllib.request.Request(self.url + "/moto-api/reset", method="POST", data=b"")
        urllib.request.urlopen(req, timeout=30).read()

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=30)
        else:
            self._server.stop()


def aws_env(endpoint: str, region: str = "us-east-1", key: str = "testing") -> dict[str, str]:
    """The environment a user's shell would have: endpoint, credentials, no config files, no IMDS."""
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": "testing-secret",
            "AWS_DEFAULT_REGION": region, "AWS_CONFIG_FILE": "/nonexistent/specguard-test",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/specguard-test", "AWS_EC2_METADATA_DISABLED": "true"}


# variables of the user's own environment that must not leak into a test audit
CLEAR = ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS",
         "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
         "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_REGION")


def use_env(monkeypatch, endpoint: str, **kw) -> dict[str, str]:
    for k in CLEAR:
        monkeypatch.delenv(k, raising=False)
    env = aws_env(endpoint, **kw)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


def client(endpoint: str, service: str, region: str = "us-east-1"):
    """A plain boto3 client for loading test data straight into moto (not through the proxy)."""
    import boto3
    return boto3.client(service, region_name=region, endpoint_url=endpoint, aws_access_key_id="testing",
                        aws_secret_access_key="testing-secret")


# ----------------------------------------------------------------------------- fault proxy
_CRED = re.compile(r"Credential=([^/]+)/\d+/([^/]+)/([^/]+)/")
# REST operations the tests aim faults at: (service, method, path regex, query key) -> operation
_REST_OPS = [
    ("s3", "GET", r"^/$", None, "ListBuckets"),
    ("s3", "GET", r"^/[^/]+/?$", "location", "GetBucketLocation"),
    ("s3", "GET", r"^/[^/]+/?$", "encryption", "GetBucketEncryption"),
    ("s3", "GET", r"^/[^/]+/?$", "versioning", "GetBucketVersioning"),
    ("s3", "GET", r"^/[^/]+/?$", "tagging", "GetBucketTagging"),
    ("s3", "GET", r"^/[^/]+/?$", "replication", "GetBucketReplication"),
    ("elasticfilesystem", "GET", r"/file-systems", None, "DescribeFileSystems"),
    ("backup", "GET", r"^/backup/plans/?$", None, "ListBackupPlans"),
    ("backup", "GET", r"^/backup/plans/[^/]+/selections/?$", None, "ListBackupSelections"),
    ("backup", "GET", r"^/backup/plans/[^/]+/selections/[^/]+/?$", None, "GetBackupSelection"),
    ("backup", "GET", r"^/backup/plans/[^/]+/?$", None, "GetBackupPlan"),
    ("backup", "GET", r"^/tags/", None, "ListTags"),
    ("cloudfront", "GET", r"/distribution/?$", None, "ListDistributions"),
    ("cloudfront", "GET", r"/distribution/[^/]+/config$", None, "GetDistributionConfig"),
    ("cloudfront", "GET", r"/tagging", None, "ListTagsForResource"),
    ("apigateway", "GET", r"^/v2/domainnames", None, "GetDomainNamesV2"),
    ("apigateway", "GET", r"^/domainnames", None, "GetDomainNames"),
    ("apigateway", "GET", r"^/restapis/[^/]+/stages/?$", None, "GetStages"),
    ("apigateway", "GET", r"^/restapis/?$", None, "GetRestApis"),
    ("lambda", "GET", r"^/2015-03-31/functions/?$", None, "ListFunctions"),
    ("lambda", "GET", r"^/2017-03-31/tags/", None, "ListTags"),
]
_EC2_STYLE = {"ec2"}
_QUERY_XML = {"rds", "elasticache", "elasticloadbalancing", "sns", "sts", "iam", "autoscaling"}
_REST_XML = {"s3", "cloudfront"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # the audit opens up to --concurrency connections at once: the default backlog of 5 makes a
    # loaded machine refuse some (ConnectionClosedError), a fault no test asked for
    request_queue_size = 128


class FaultProxy:
    """An HTTP proxy in front of moto that can add latency and answer chosen calls with errors.

    Faults are rules matched on service (the SigV4 credential scope), operation
    (X-Amz-Target, the query Action, or the REST table above), region and
    access key; ``times`` limits how often a rule fires (None: always).
    """

    def __init__(self, upstream: str, delay: float = 0.0, by_region: dict[str, str] | None = None):
        self.upstream = urllib.parse.urlparse(upstream)
        # region -> another moto server (the benchmark shards regions over processes)
        self.by_region = {r: urllib.parse.urlparse(u) for r, u in (by_region or {}).items()}
        self.delay = delay
        self.rules: list[dict] = []
        self.stubs: dict = {}
        self.patches: dict = {}
        self.seen: Counter = Counter()      # (service, operation, region) -> requests
        self.timeline: list | None = None   # set to [] to record (start, upstream seconds, end, op, region)
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _any(self):
                proxy._handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _any

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def fail(self, service: str | None, op: str | None = None, region: str | None = None, error: str = "AccessDenied",
             key: str | None = None, times: int | None = None, contains: str | None = None) -> None:
        """Answer matching requests with ``error`` (AccessDenied, Throttling, 500, or any code;
        EchoCredentials: the request's session token as the code, its Authorization header in the message);
        None matches anything; ``contains`` must occur in the request body (e.g. a RoleArn)."""
        with self.lock:
            self.rules.append({"service": service, "op": op, "region": region, "error": error, "key": key,
                               "times": times, "contains": contains})

    def stub(self, service: str, op: str, answer) -> None:
        """Answer an operation moto does not implement: ``answer(path) -> (status, json-able body)``."""
        with self.lock:
            self.stubs[(service, op)] = answer

    def patch(self, service: str, op: str, edit) -> None:
        """Edit moto's response body of an operation: ``edit(bytes) -> bytes`` (fields moto leaves out)."""
        with self.lock:
            self.patches[(service, op)] = edit

    def clear(self) -> None:
        with self.lock:
            self.stubs.clear()
            self.patches.clear()
        with self.lock:
            self.rules.clear()
            self.seen.clear()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def total(self) -> int:
        return sum(self.seen.values())

    # ------------------------------------------------------------------ internals
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        started = time.monotonic()
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        key, region, service = _scope(h.headers.get("Authorization", ""))
        op = _operation(service, h.command, h.path, h.headers, body)
        with self.lock:
            self.seen[(service, op, region)] += 1
            rule = next((r for r in self.rules if _matches(r, service, op, region, key, body)), None)
            if rule is not None and rule["times"] is not None:
                rule["times"] -= 1
                if rule["times"] <= 0:
                    self.rules.remove(rule)
        if self.delay:
            time.sleep(self.delay)
        stub, patch = self.stubs.get((service, op)), self.patches.get((service, op))
        if rule is not None:
            status, headers, payload = _error(service, h.headers, rule["error"])
        elif stub is not None:
            status, answer = stub(urllib.parse.urlparse(h.path).path)
            status, headers, payload = status, [("Content-Type", "application/json")], json.dumps(answer).encode()
        else:
            t0 = time.monotonic()
            status, headers, payload = self._forward(h, body, self.by_region.get(region, self.upstream))
            if self.timeline is not None:
                self.timeline.append((started, time.monotonic() - t0, time.monotonic(), op, region))
            if patch is not None and status == 200:
                payload = patch(payload)
        h.send_response(status)
        for k, v in headers:
            if k.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                h.send_header(k, v)
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(payload)

    def _forward(self, h, body: bytes, upstream):
        conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
        try:
            headers = {k: v for k, v in h.headers.items() if k.lower() not in ("connection", "keep-alive")}
            conn.request(h.command, h.path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()


def _scope(auth: str) -> tuple[str, str, str]:
    m = _CRED.search(auth)
    return (m.group(1), m.group(2), m.group(3)) if m else ("", "", "")


def _operation(service: str, method: str, path: str, headers, body: bytes) -> str:
    target = headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1]
    parsed = urllib.parse.urlparse(path)
    query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
    if "Action" in query:
        return query["Action"][0]
    if body and "x-www-form-urlencoded" in (headers.get("Content-Type") or ""):
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            return form["Action"][0]
    for svc, m, rx, qkey, op in _REST_OPS:
        if svc == service and m == method and re.search(rx, parsed.path) and (qkey is None or qkey in query):
            if svc == "s3" and qkey is None and parsed.path != "/":
                continue
            return op
    return f"{method} {parsed.path}"


def _matches(rule: dict, service: str, op: str, region: str, key: str, body: bytes) -> bool:
    return (rule["service"] in (None, service) and rule["op"] in (None, op) and rule["region"] in (None, region)
            and rule["key"] in (None, key)
            and (rule["contains"] is None or urllib.parse.quote(rule["contains"], safe="").encode() in body
                 or rule["contains"].encode() in body))


def _error(service: str, headers, error: str) -> tuple[int, list, bytes]:
    """An error response in the protocol the service speaks, so botocore parses it as AWS's own."""
    kind = {"AccessDenied": ("AccessDenied", 403), "Throttling": ("Throttling", 400),
            "500": ("InternalError", 500)}.get(error, (error, 400))
    code, status = kind
    msg = f"injected by the test proxy: {error}"
    if error == "EchoCredentials":
        # a hostile or broken endpoint: the request's credentials come back as the error code and message
        token = headers.get("X-Amz-Security-Token") or "no-token"
        code = token
        msg = f"echo: Authorization: {headers.get('Authorization', '')} X-Amz-Security-Token: {token}"
    json_proto = bool(headers.get("X-Amz-Target")) or "json" in (headers.get("Content-Type") or "")
    if json_proto:
        if code == "Throttling":
            code = "ThrottlingException"
        if code == "AccessDenied":
            code = "AccessDeniedException"
        return status, [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code),
                        ("x-amzn-query-error", f"{code};Sender")], \
            json.dumps({"__type": code, "message": msg}).encode()
    if service in _EC2_STYLE:
        if code == "Throttling":
            code = "RequestLimitExceeded"
        return status, [("Content-Type", "text/xml")], (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{msg}</Message></Error></Errors>"
            f"<RequestID>test</RequestID></Response>").encode()
    if service in _QUERY_XML:
        return status, [("Content-Type", "text/xml")], (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{msg}</Message></Error>"
            f"<RequestId>test</RequestId></ErrorResponse>").encode()
    if service in _REST_XML:
        if code == "Throttling":
            code, status = "SlowDown", 503
        return status, [("Content-Type", "application/xml")], (
            f"<Error><Code>{code}</Code><Message>{msg}</Message><RequestId>test</RequestId></Error>").encode()
    # rest-json services (efs, backup, apigateway)
    if code == "Throttling":
        code, status = "TooManyRequestsException", 429
    if code == "AccessDenied":
        code = "AccessDeniedException"
    return status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)], \
        json.dumps({"message": msg, "Message": msg}).encode()


# ----------------------------------------------------------------------------- the trading platform
# The seeds' AWS platform as fixtures/_build/aws_platform.py writes it in Terraform: same names,
# same settings, same tags (the provider's default_tags land on every resource, as tags_all does).
NAME = "qts-prod"
TAGS = {"Environment": "prod", "Project": "quantum-trading", "CostCenter": "CC-4410", "Owner": "platform-team"}
OTHER_ACCOUNT = "444455556666"   # the shared-services account whose key the violating Aurora cluster uses
AZS = ["us-east-1a", "us-east-1b", "us-east-1c"]


def _tl(extra: dict | None = None, base: dict | None = None) -> list[dict]:
    t = dict(TAGS if base is None else base)
    t.update(extra or {})
    return [{"Key": k, "Value": v} for k, v in t.items()]


def load_platform(endpoint: str, violating: bool = False, proxy: "FaultProxy | None" = None) -> dict:
    """Build the platform inside moto; returns a few ids the tests use."""
    v = violating
    c = lambda svc, region="us-east-1": client(endpoint, svc, region)  # noqa: E731
    dr_tags = {k: x for k, x in TAGS.items() if not (v and k == "CostCenter")}
    out: dict = {}

    # -- keys
    kms = c("kms")
    data_key = kms.create_key(Description="qts-prod data at rest", Tags=_tl({"Name": f"{NAME}-data"}, TAGS)
                              and [{"TagKey": k, "TagValue": x} for k, x in {**TAGS, "Name": f"{NAME}-data"}.items()]
                              )["KeyMetadata"]
    kms.enable_key_rotation(KeyId=data_key["KeyId"])
    kms.create_alias(AliasName=f"alias/{NAME}-data", TargetKeyId=data_key["KeyId"])
    kms_dr = c("kms", "us-west-2")
    dr_key = kms_dr.create_key(Description="qts-prod backup copies",
                               Tags=[{"TagKey": k, "TagValue": x} for k, x in {**dr_tags, "Name": f"{NAME}-dr-backups"}.items()]
                               )["KeyMetadata"]
    if not v:
        kms_dr.enable_key_rotation(KeyId=dr_key["KeyId"])
    db_key = data_key["Arn"]
    if v:
        db_key = _other_account_key(endpoint)
    out["data_key"] = data_key["Arn"]

    # -- network
    ec2 = c("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": _tl({"Name": f"{NAME}-vpc"})}])["Vpc"]["VpcId"]
    sg = {}
    names = ["web", "app", "db", "monitoring", "cache", "efs"] + (["bastion"] if v else [])
    for n in names:
        tags = {"Name": f"{NAME}-{n}"}
        if n in ("web", "app", "db", "monitoring"):
            tags["Tier"] = n
        gid = ec2.create_security_group(GroupName=f"{NAME}-{n}", Description=n, VpcId=vpc,
                                        TagSpecifications=[{"ResourceType": "security-group",
                                                            "Tags": _tl(tags)}])["GroupId"]
        # Terraform removes the default allow-all egress rule of a group it manages
        ec2.revoke_security_group_egress(GroupId=gid, IpPermissions=[{"IpProtocol": "-1",
                                                                      "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        sg[n] = gid
    internet = {"IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}

    def ingress(g, perms):
        ec2.authorize_security_group_ingress(GroupId=sg[g], IpPermissions=perms)

    def egress(g, perms):
        ec2.authorize_security_group_egress(GroupId=sg[g], IpPermissions=perms)

    def tcp(port, **src):
        return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, **src}

    ingress("web", [tcp(443, **internet), tcp(80, **internet)] + ([tcp(22, IpRanges=[{"CidrIp": "0.0.0.0/0"}])] if v else []))
    egress("web", [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": sg["app"]}]}])
    ingress("app", [tcp(8080, UserIdGroupPairs=[{"GroupId": sg["web"]}]),
                    tcp(9090, UserIdGroupPairs=[{"GroupId": sg["monitoring"]}])]
            + ([tcp(8080, IpRanges=[{"CidrIp": "0.0.0.0/0"}])] if v else []))
    egress("app", [tcp(5432, UserIdGroupPairs=[{"GroupId": sg["db"]}])])
    ingress("db", [tcp(5432, UserIdGroupPairs=[{"GroupId": sg["app"]}])])
    egress("db", [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}] if v else
           [tcp(443, IpRanges=[{"CidrIp": "10.0.0.0/16"}])])
    ingress("monitoring", [tcp(3000, IpRanges=[{"CidrIp": "10.100.0.0/16"}])])
    ingress("cache", [tcp(6379, UserIdGroupPairs=[{"GroupId": sg["app"]}])])
    ingress("efs", [tcp(2049, UserIdGroupPairs=[{"GroupId": sg["app"]}])])
    if v:
        ingress("bastion", [tcp(22, IpRanges=[{"CidrIp": "0.0.0.0/0"}])])
    out["sg"] = sg

    # -- databases
    rds = c("rds")
    rds.create_db_cluster_parameter_group(DBClusterParameterGroupName=f"{NAME}-aurora-pg16",
                                          DBParameterGroupFamily="aurora-postgresql16", Description="aurora",
                                          Tags=_tl())
    rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName=f"{NAME}-aurora-pg16", Parameters=[
        {"ParameterName": "rds.force_ssl", "ParameterValue": "0" if v else "1", "ApplyMethod": "pending-reboot"},
        {"ParameterName": "ssl_min_protocol_version", "ParameterValue": "TLSv1.3", "ApplyMethod": "pending-reboot"}])
    rds.create_db_parameter_group(DBParameterGroupName=f"{NAME}-postgres16", DBParameterGroupFamily="postgres16",
                                  Description="postgres", Tags=_tl())
    rds.modify_db_parameter_group(DBParameterGroupName=f"{NAME}-postgres16", Parameters=[
        {"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "pending-reboot"},
        {"ParameterName": "ssl_min_protocol_version", "ParameterValue": "TLSv1.3", "ApplyMethod": "pending-reboot"}])
    cluster = rds.create_db_cluster(
        DBClusterIdentifier=f"{NAME}-aurora", Engine="aurora-postgresql", EngineVersion="16.4",
        MasterUsername="qts_admin", ManageMasterUserPassword=True, MasterUserSecretKmsKeyId=data_key["Arn"],
        StorageEncrypted=True,
        KmsKeyId=db_key, DBClusterParameterGroupName=f"{NAME}-aurora-pg16", VpcSecurityGroupIds=[sg["db"]],
        BackupRetentionPeriod=7 if v else 35, Tags=_tl())["DBCluster"]
    for k in range(1 if v else 3):
        rds.create_db_instance(DBInstanceIdentifier=f"{NAME}-aurora-{k}", DBClusterIdentifier=f"{NAME}-aurora",
                               Engine="aurora-postgresql", DBInstanceClass="db.r6g.large",
                               AvailabilityZone=AZS[k], PubliclyAccessible=False, Tags=_tl())
    reporting = dict(DBInstanceIdentifier=f"{NAME}-reporting", Engine="postgres", EngineVersion="16.4",
                     DBInstanceClass="db.m6g.large", AllocatedStorage=200, MasterUsername="reporting_admin",
                     **({"MasterUserPassword": "not-a-real-password-1"} if v else
                        {"ManageMasterUserPassword": True, "MasterUserSecretKmsKeyId": data_key["Arn"]}),
                     MultiAZ=not v, StorageEncrypted=not v,
                     DBParameterGroupName=f"{NAME}-postgres16",
                     VpcSecurityGroupIds=[sg["app"] if v else sg["db"]], BackupRetentionPeriod=1 if v else 35,
                     PubliclyAccessible=v, Tags=_tl())
    if not v:
        reporting["KmsKeyId"] = data_key["Arn"]
    db = rds.create_db_instance(**reporting)["DBInstance"]
    out["cluster_arn"], out["reporting_arn"] = cluster["DBClusterArn"], db["DBInstanceArn"]

    # -- cache, tables, streams, queues, topics, secrets
    ec = c("elasticache")
    ec.create_replication_group(
        ReplicationGroupId=f"{NAME}-sessions", ReplicationGroupDescription="sessions", Engine="redis",
        EngineVersion="7.1", CacheNodeType="cache.r7g.large", NumCacheClusters=1 if v else 2,
        AtRestEncryptionEnabled=not v, TransitEncryptionEnabled=not v, AutomaticFailoverEnabled=not v,
        MultiAZEnabled=not v, SnapshotRetentionLimit=1 if v else 35, Tags=_tl(),
        **({} if v else {"KmsKeyId": data_key["Arn"]}))
    ddb = c("dynamodb")
    for name, sse, pitr in (("sessions", not v, True), ("wallets", True, not v)):
        ddb.create_table(TableName=f"{NAME}-{name}", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], Tags=_tl(),
                         **({"SSESpecification": {"Enabled": True, "SSEType": "KMS",
                                                  "KMSMasterKeyId": data_key["Arn"]}} if sse else {}))
        if pitr:
            ddb.update_continuous_backups(TableName=f"{NAME}-{name}", PointInTimeRecoverySpecification={
                "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 35})
    kin = c("kinesis")
    kin.create_stream(StreamName=f"{NAME}-market-data", ShardCount=1)
    kin.start_stream_encryption(StreamName=f"{NAME}-market-data", EncryptionType="KMS", KeyId=data_key["Arn"])
    kin.add_tags_to_stream(StreamName=f"{NAME}-market-data", Tags={**TAGS, **({"Owner": ""} if v else {})})
    sqs = c("sqs")
    sqs.create_queue(QueueName=f"{NAME}-orders.fifo", tags=TAGS, Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true",
        **({} if v else {"KmsMasterKeyId": data_key["Arn"], "KmsDataKeyReusePeriodSeconds": "300"})})
    sqs.create_queue(QueueName=f"{NAME}-orders-dlq.fifo", tags=TAGS, Attributes={
        "FifoQueue": "true", "SqsManagedSseEnabled": "false" if v else "true"})
    sns = c("sns")
    sns.create_topic(Name=f"{NAME}-trade-events", Attributes={"KmsMasterKeyId": data_key["Arn"]},
                     Tags=_tl({"Environment": "production"} if v else None))
    c("secretsmanager").create_secret(Name=f"{NAME}/market-data/api-key", KmsKeyId=data_key["Arn"],
                                      SecretString="not-a-secret", Tags=_tl())
    vol = ec2.create_volume(AvailabilityZone=AZS[0], Size=500, VolumeType="gp3", Encrypted=not v,
                            **({} if v else {"KmsKeyId": data_key["Arn"]}),
                            TagSpecifications=[{"ResourceType": "volume", "Tags": _tl({"Name": f"{NAME}-market-cache"})}])
    if v:  # `encrypted` left out: the account's EBS encryption-by-default setting (off here) decides
        ec2.create_volume(AvailabilityZone=AZS[1], Size=200, VolumeType="gp3",
                          TagSpecifications=[{"ResourceType": "volume", "Tags": _tl({"Name": f"{NAME}-scratch"})}])
    _messaging(c, v, data_key)
    efs = c("efs").create_file_system(CreationToken=f"{NAME}-shared", Encrypted=True, KmsKeyId=data_key["Arn"],
                                      Tags=_tl({"Name": f"{NAME}-shared"}))

    # -- buckets (the Terraform module: one bucket per entry, random suffix)
    s3 = c("s3")
    buckets = {"historical-data": ("aws:kms", "Enabled", "confidential"),
               "static-assets": ("AES256", "Suspended" if v else "Enabled", "public"),
               "alb-logs": ("AES256", "Enabled", "internal")}
    for key, (algo, ver, cls) in buckets.items():
        name = f"{NAME}-{key}-1a2b3c4d"
        s3.create_bucket(Bucket=name)
        rule = {"SSEAlgorithm": algo, **({"KMSMasterKeyID": f"alias/{NAME}-data"} if algo == "aws:kms" else {})}
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [
            {"ApplyServerSideEncryptionByDefault": rule, "BucketKeyEnabled": algo == "aws:kms"}]})
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": ver})
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tl({"Name": name, "DataClass": cls})})
    if v:
        s3.create_bucket(Bucket=f"{NAME}-exports-1a2b3c4d")
        s3.put_bucket_tagging(Bucket=f"{NAME}-exports-1a2b3c4d", Tagging={"TagSet": _tl({"Name": f"{NAME}-exports"})})

    # -- edge: ALB + listeners, CloudFront, API Gateway domain
    cert = c("acm").request_certificate(DomainName="trade.example.com", ValidationMethod="DNS")["CertificateArn"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i + 1}.0/24", AvailabilityZone=AZS[i])["Subnet"]["SubnetId"]
               for i in range(3)]
    elb = c("elbv2")
    lb = elb.create_load_balancer(Name=f"{NAME}-alb", Subnets=subnets, SecurityGroups=[sg["web"]],
                                  Type="application", Tags=_tl())["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elb.create_target_group(Name=f"{NAME}-app", Protocol="HTTPS", Port=8080, VpcId=vpc,
                                 TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    https = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTPS", Port=443, Certificates=[{"CertificateArn": cert}],
                                SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06" if v else "ELBSecurityPolicy-TLS13-1-3-2021-06",
                                DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}], Tags=_tl())
    http = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, Tags=_tl(), DefaultActions=[
        {"Type": "forward", "TargetGroupArn": tg} if v else
        {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}])
    out["listeners"] = {"https": https["Listeners"][0]["ListenerArn"], "http": http["Listeners"][0]["ListenerArn"]}
    cf = c("cloudfront")
    cert_conf = ({"CloudFrontDefaultCertificate": True, "MinimumProtocolVersion": "TLSv1"} if v else
                 {"ACMCertificateArn": cert, "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"})
    cf.create_distribution_with_tags(DistributionConfigWithTags={"Tags": {"Items": _tl()}, "DistributionConfig": {
        "CallerReference": "qts", "Comment": "qts-prod web front end", "Enabled": True,
        "Aliases": {"Quantity": 1, "Items": ["trade.example.com"]},
        "Origins": {"Quantity": 1, "Items": [{"Id": "alb", "DomainName": "alb.example.com", "CustomOriginConfig": {
            "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "alb", "ViewerProtocolPolicy": "allow-all" if v else "redirect-to-https",
                                 "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"},
        "CacheBehaviors": {"Quantity": 1, "Items": [{"PathPattern": "/static/*", "TargetOriginId": "alb",
                                                     "ViewerProtocolPolicy": "https-only",
                                                     "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}]},
        "ViewerCertificate": cert_conf, "WebACLId": _edge(c, v, lb, subnets)}})
    c("apigateway").create_domain_name(domainName="api.trade.example.com", regionalCertificateArn=cert,
                                       securityPolicy="TLS_1_2", endpointConfiguration={"types": ["REGIONAL"]},
                                       tags=TAGS)

    # -- AWS Backup
    bk = c("backup")
    bk.create_backup_vault(BackupVaultName=f"{NAME}-primary", EncryptionKeyArn=data_key["Arn"])
    dr_vault = c("backup", "us-west-2").create_backup_vault(BackupVaultName=f"{NAME}-dr",
                                                           EncryptionKeyArn=dr_key["Arn"])["BackupVaultArn"]
    if v:
        dr_vault = f"arn:aws:backup:us-east-1:{ACCOUNT}:backup-vault:qts-prod-secondary"
    days = 14 if v else 35
    plan = bk.create_backup_plan(BackupPlan={"BackupPlanName": f"{NAME}-daily", "Rules": [{
        "RuleName": f"daily-{days}d", "TargetBackupVaultName": f"{NAME}-primary", "ScheduleExpression": "cron(0 5 * * ? *)",
        "Lifecycle": {"DeleteAfterDays": days},
        "CopyActions": [{"DestinationBackupVaultArn": dr_vault, "Lifecycle": {"DeleteAfterDays": days}}]}]},
        BackupPlanTags=TAGS)
    selection = {"SelectionName": f"{NAME}-databases", "IamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/{NAME}-backup",
                 "Resources": [cluster["DBClusterArn"], efs["FileSystemArn"],
                               f"arn:aws:ec2:us-east-1:{ACCOUNT}:volume/{vol['VolumeId']}"]}
    if proxy is not None:
        _emulate(proxy, plan["BackupPlanId"], selection, None if v else db["DBInstanceArn"])
    out["iam"] = _iam(c, v)
    _disaster_recovery(c, v, proxy, cluster, db, dr_key, out)   # SEC-01, DR-01 (issue 17)
    return out


def _edge(c, v: bool, lb: str, subnets: list[str]) -> str:
    """Issue 16: web ACLs (ALB, REST API stage; the CloudFront one's ARN is returned), the VPC's flow
    log (violating: one subnet's only), the order Lambda functions (violating: one untraced)."""
    waf = c("wafv2")
    vis = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "aws-common"}
    acls = {scope: waf.create_web_acl(Name=f"{NAME}-{name}", Scope=scope, DefaultAction={"Allow": {}},
                                      VisibilityConfig=vis, Tags=_tl())["Summary"]["ARN"]
            for name, scope in (("regional", "REGIONAL"), ("cloudfront", "CLOUDFRONT"))}
    if not v:
        waf.associate_web_acl(WebACLArn=acls["REGIONAL"], ResourceArn=lb)
    ag = c("apigateway")
    api = ag.create_rest_api(name=f"{NAME}-api", endpointConfiguration={"types": ["REGIONAL"]}, tags=TAGS)["id"]
    root = ag.get_resources(restApiId=api)["items"][0]["id"]
    ag.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    ag.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    dep = ag.create_deployment(restApiId=api)["id"]
    ag.create_stage(restApiId=api, stageName="prod", deploymentId=dep, tracingEnabled=True, tags=TAGS)
    # violating too: the association names the stage through a data source the plan cannot resolve
    waf.associate_web_acl(WebACLArn=acls["REGIONAL"],
                          ResourceArn=f"arn:aws:apigateway:us-east-1::/restapis/{api}/stages/prod")
    ec2 = c("ec2")
    vpc = ec2.describe_subnets(SubnetIds=[subnets[0]])["Subnets"][0]["VpcId"]
    ec2.create_flow_logs(ResourceIds=[subnets[0] if v else vpc], ResourceType="Subnet" if v else "VPC",
                         TrafficType="ALL", LogDestinationType="s3",
                         LogDestination=f"arn:aws:s3:::{NAME}-alb-logs-1a2b3c4d")
    role = c("iam").create_role(RoleName=f"{NAME}-orders-lambda", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "lambda.amazonaws.com"}}]}))["Role"]["Arn"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return None\n")
    lam = c("lambda")
    for short, traced in (("persist-orders", True), ("order-events", not v)):
        lam.create_function(FunctionName=f"{NAME}-{short}", Runtime="python3.12", Role=role, Handler="app.handler",
                            Code={"ZipFile": buf.getvalue()}, MemorySize=512, Timeout=30, Tags=TAGS,
                            **({"TracingConfig": {"Mode": "Active"}} if traced else {}))
    return acls["CLOUDFRONT"]


# IAM-01 / IAM-02 (issue 17): the documents fixtures/_build/aws_platform.py iam() writes in Terraform
DEPLOY_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Sid": "DeployOrderFunctions", "Effect": "Allow",
    "Action": ["lambda:GetFunction", "lambda:PublishVersion", "lambda:UpdateFunctionCode"],
    "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{NAME}-*"}]}
CONSOLE_PASSWORD = "not-a-real-Console-password-9"   # a test value; IAM-02 tests grep every output for it


def _iam(c, v: bool) -> dict:
    """Customer-managed policies and the order role's inline policies (as the plan's), and the
    people who sign in to the console (live only: a plan cannot show MFA): one with a virtual MFA
    device, a pipeline user without a password (not a console user); violating: one without MFA."""
    iam = c("iam")
    role = f"{NAME}-orders-lambda"
    queue = f"arn:aws:sqs:us-east-1:{ACCOUNT}:{NAME}-orders.fifo"
    iam.put_role_policy(RoleName=role, PolicyName="orders-queue", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Sid": "ConsumeOrders", "Effect": "Allow", "Resource": queue,
                                                "Action": ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage",
                                                           "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]}]}))
    iam.create_policy(PolicyName=f"{NAME}-deploy", Description="The CI pipeline deploys the order functions",
                      PolicyDocument=json.dumps(DEPLOY_POLICY), Tags=_tl())
    if v:
        iam.create_policy(PolicyName=f"{NAME}-break-glass", Description="Emergency access", Tags=_tl(),
                          PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                              {"Sid": "BreakGlass", "Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        iam.put_role_policy(RoleName=role, PolicyName="orders-operators", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Sid": "OrdersOperators", "Effect": "Allow", "Resource": "*",
                                                    "NotAction": ["account:*", "iam:*", "organizations:*"]}]}))
        # the vendor's policy the plan reads at apply time: scoped, once it is known
        iam.put_role_policy(RoleName=role, PolicyName="vendor-integration", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sqs:GetQueueAttributes"],
                                                    "Resource": queue}]}))
    users = {f"{NAME}-alice": True, f"{NAME}-deployer": None}   # name -> MFA (None: no console password)
    if v:
        users[f"{NAME}-bob"] = False
    for name, mfa in users.items():
        iam.create_user(UserName=name, Tags=_tl())
        if mfa is None:
            continue
        iam.create_login_profile(UserName=name, Password=CONSOLE_PASSWORD)
        if mfa:
            serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
            iam.enable_mfa_device(UserName=name, SerialNumber=serial, AuthenticationCode1="123456",
                                  AuthenticationCode2="654321")
    return {"users": users}


def _messaging(c, v: bool, data_key: dict) -> None:
    """MSG-01 and SEC-02 (issue 17), as fixtures/_build/aws_platform.py messaging(): the orders queue's
    redrive policy, the risk engine's queue and DLQ, its subscription to the trade events with a redrive
    policy, the market data key rotating every 30 days; violating: the subscription has no redrive policy,
    the risk queue redrives to the shared-services team's queue (no Terraform twin), the key rotates every
    365 days, the exchange credentials rotate every 30 days (their plan cannot tell)."""
    sqs, sns, sm = c("sqs"), c("sns"), c("secretsmanager")

    def arn(url):
        return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def redrive(target, receives=5):
        return json.dumps({"deadLetterTargetArn": target, "maxReceiveCount": receives})

    orders = sqs.get_queue_url(QueueName=f"{NAME}-orders.fifo")["QueueUrl"]
    orders_dlq = sqs.get_queue_url(QueueName=f"{NAME}-orders-dlq.fifo")["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=orders, Attributes={"RedrivePolicy": redrive(arn(orders_dlq))})
    dlq = sqs.create_queue(QueueName=f"{NAME}-risk-events-dlq", tags=TAGS, Attributes={
        "KmsMasterKeyId": data_key["Arn"], "MessageRetentionPeriod": "1209600"})["QueueUrl"]
    target = arn(dlq)
    if v:
        target = arn(sqs.create_queue(QueueName=SHARED_DLQ)["QueueUrl"])
    risk = sqs.create_queue(QueueName=f"{NAME}-risk-events", tags=TAGS, Attributes={
        "KmsMasterKeyId": data_key["Arn"], "RedrivePolicy": redrive(target)})["QueueUrl"]
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(f":{NAME}-trade-events"))
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn(risk), ReturnSubscriptionArn=True, Attributes={
        "RawMessageDelivery": "true", **({} if v else {"RedrivePolicy": json.dumps({"deadLetterTargetArn": arn(dlq)})})})
    sm.rotate_secret(SecretId=f"{NAME}/market-data/api-key", RotationRules={"AutomaticallyAfterDays": 365 if v else 30},
                     RotateImmediately=False)
    if v:
        sm.create_secret(Name=f"{NAME}/exchange/credentials", KmsKeyId=data_key["Arn"], SecretString="not-a-secret",
                         Tags=_tl())
        sm.rotate_secret(SecretId=f"{NAME}/exchange/credentials", RotationRules={"AutomaticallyAfterDays": 30},
                         RotateImmediately=False)


SHARED_DLQ = "qts-shared-dead-letters"   # the shared-services team's queue (a data source in the plan)


def _emulate(proxy: FaultProxy, plan_id: str, selection: dict, replicated: str | None) -> None:
    """What moto 5.2 does not implement, answered by the proxy with AWS's own response shapes:
    AWS Backup selections (CreateBackupSelection is not implemented) and automated-backups
    replication (StartDBInstanceAutomatedBackupsReplication is not implemented)."""
    sid = "4f7d2c1a-0000-4000-8000-000000000001"

    def list_selections(path):
        if f"/plans/{plan_id}/" not in path + "/":
            return 200, {"BackupSelectionsList": []}
        return 200, {"BackupSelectionsList": [{"SelectionId": sid, "SelectionName": selection["SelectionName"],
                                               "BackupPlanId": plan_id, "IamRoleArn": selection["IamRoleArn"]}]}

    def get_selection(path):
        if path.rstrip("/").endswith(sid) and f"/plans/{plan_id}/" in path:
            return 200, {"BackupSelection": selection, "SelectionId": sid, "BackupPlanId": plan_id}
        return 404, {"message": "selection not found"}

    if replicated:
        # moto keeps one node whatever NumCacheClusters says: show the replica AWS would run in another AZ
        rg = f"{NAME}-sessions"
        one = f"<MemberClusters><ClusterId>{rg}-001</ClusterId></MemberClusters>".encode()
        two = f"<MemberClusters><ClusterId>{rg}-001</ClusterId><ClusterId>{rg}-002</ClusterId></MemberClusters>".encode()
        end = b"</NodeGroupMember></NodeGroupMembers>"
        replica = (f"</NodeGroupMember><NodeGroupMember><CacheClusterId>{rg}-002</CacheClusterId>"
                   "<CacheNodeId>0001</CacheNodeId><PreferredAvailabilityZone>us-east-1b</PreferredAvailabilityZone>"
                   "<CurrentRole>replica</CurrentRole></NodeGroupMember></NodeGroupMembers>").encode()
        proxy.patch("elasticache", "DescribeReplicationGroups",
                    lambda body: body.replace(one, two).replace(end, replica, 1) if one in body else body)
    proxy.stub("backup", "ListBackupSelections", list_selections)
    proxy.stub("backup", "GetBackupSelection", get_selection)
    if replicated:
        ident = replicated.rsplit(":", 1)[-1]
        target = f"arn:aws:rds:us-west-2:{ACCOUNT}:auto-backup:ab-{ident}"
        marker = f"<DBInstanceIdentifier>{ident}</DBInstanceIdentifier>".encode()
        extra = ("<DBInstanceAutomatedBackupsReplications><DBInstanceAutomatedBackupsReplication>"
                 f"<DBInstanceAutomatedBackupsArn>{target}</DBInstanceAutomatedBackupsArn>"
                 "</DBInstanceAutomatedBackupsReplication></DBInstanceAutomatedBackupsReplications>").encode()
        proxy.patch("rds", "DescribeDBInstances", lambda body: body.replace(marker, marker + extra))


def _other_account_key(endpoint: str) -> str:
    """A KMS key of another account (moto keys its backends by the account of the credentials)."""
    import boto3
    sts = client(endpoint, "sts")
    cr = sts.assume_role(RoleArn=f"arn:aws:iam::{OTHER_ACCOUNT}:role/shared-keys",
                         RoleSessionName="fixture")["Credentials"]
    kms = boto3.client("kms", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id=cr["AccessKeyId"],
                       aws_secret_access_key=cr["SecretAccessKey"], aws_session_token=cr["SessionToken"])
    return kms.create_key(Description="shared-services database key")["KeyMetadata"]["Arn"]


@pytest.fixture(scope="module")
def servers():
    """moto's server and the fault-injecting proxy in front of it, shared by a test module."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = MotoServer()
    proxy = FaultProxy(server.url)
    yield server, proxy
    proxy.stop()
    server.stop()


def _disaster_recovery(c, v: bool, proxy: "FaultProxy | None", cluster: dict, db: dict, dr_key: dict, out: dict) -> None:
    """The plan fixture's DR side (fixtures/_build/aws_platform.py disaster_recovery): the reporting
    replica and the Aurora global database's secondary in us-west-2 with their VPC, db-tier group,
    parameter groups and backup plan; DynamoDB global tables; the critical trade archive replicated to
    us-west-2.  Violating: the Aurora cluster in a global cluster with no other member, the wallets table
    without replica, the archive replicated to a bucket that is not in the account's listing.

    What moto 5.2 lacks is answered by the proxy with AWS's response shapes: DynamoDB ``Replicas`` in
    DescribeTable, DescribeGlobalClusters in a region other than the one the global cluster was created
    in (AWS answers it from every region), the AWS Backup selection of the DR plan."""
    rds, rds_dr = c("rds"), c("rds", "us-west-2")
    global_id = f"{NAME}-global"
    glob = rds.create_global_cluster(GlobalClusterIdentifier=global_id,
                                     SourceDBClusterIdentifier=cluster["DBClusterArn"])["GlobalCluster"]
    tables = ["sessions"] if v else ["sessions", "wallets"]
    s3, s3_dr = c("s3"), c("s3", "us-west-2")
    archive = f"{NAME}-trade-archive"
    s3.create_bucket(Bucket=archive)
    s3.put_bucket_encryption(Bucket=archive, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_bucket_versioning(Bucket=archive, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_tagging(Bucket=archive, Tagging={"TagSet": _tl({"Name": archive, "Criticality": "critical"})})
    copy = f"{NAME}-trade-archive-copy" if v else f"{NAME}-trade-archive-dr"
    if not v:
        s3_dr.create_bucket(Bucket=copy, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        s3_dr.put_bucket_encryption(Bucket=copy, ServerSideEncryptionConfiguration={"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
        s3_dr.put_bucket_versioning(Bucket=copy, VersioningConfiguration={"Status": "Enabled"})
        s3_dr.put_bucket_tagging(Bucket=copy, Tagging={"TagSet": _tl({"Name": copy, "Criticality": "replica"})})
    s3.put_bucket_replication(Bucket=archive, ReplicationConfiguration={
        "Role": f"arn:aws:iam::{ACCOUNT}:role/{NAME}-s3-replication",
        "Rules": [{"ID": "everything", "Status": "Enabled", "Priority": 1, "Filter": {},
                   "DeleteMarkerReplication": {"Status": "Enabled"},
                   "Destination": {"Bucket": f"arn:aws:s3:::{copy}", "StorageClass": "STANDARD"}}]})
    if proxy is not None:
        def replicas(body: bytes) -> bytes:
            doc = json.loads(body)
            t = doc.get("Table") or {}
            if any(t.get("TableName") == f"{NAME}-{n}" for n in tables):
                t["Replicas"] = [{"RegionName": "us-west-2", "ReplicaStatus": "ACTIVE"}]
            return json.dumps(doc).encode()
        proxy.patch("dynamodb", "DescribeTable", replicas)
    if v:
        return

    # -- the DR region's network and databases
    ec2 = c("ec2", "us-west-2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": _tl({"Name": f"{NAME}-dr-vpc"})}])["Vpc"]["VpcId"]
    ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogDestinationType="s3",
                         LogDestination=f"arn:aws:s3:::{copy}")
    for k, az in enumerate(("us-west-2a", "us-west-2b")):
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{100 + k}.0/24", AvailabilityZone=az)
    sg = ec2.create_security_group(GroupName=f"{NAME}-dr-db", Description="Database tier in the DR region", VpcId=vpc,
                                   TagSpecifications=[{"ResourceType": "security-group",
                                                       "Tags": _tl({"Name": f"{NAME}-dr-db", "Tier": "db"})}])["GroupId"]
    ec2.revoke_security_group_egress(GroupId=sg, IpPermissions=[{"IpProtocol": "-1",
                                                                 "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.authorize_security_group_egress(GroupId=sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443,
                                                                    "ToPort": 443,
                                                                    "IpRanges": [{"CidrIp": "10.1.0.0/16"}]}])
    tls = [{"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "pending-reboot"},
           {"ParameterName": "ssl_min_protocol_version", "ParameterValue": "TLSv1.3", "ApplyMethod": "pending-reboot"}]
    rds_dr.create_db_parameter_group(DBParameterGroupName=f"{NAME}-dr-postgres16", DBParameterGroupFamily="postgres16",
                                     Description="postgres16 in the DR region", Tags=_tl())
    rds_dr.modify_db_parameter_group(DBParameterGroupName=f"{NAME}-dr-postgres16", Parameters=tls)
    rds_dr.create_db_cluster_parameter_group(DBClusterParameterGroupName=f"{NAME}-dr-aurora-postgresql16",
                                             DBParameterGroupFamily="aurora-postgresql16",
                                             Description="aurora in the DR region", Tags=_tl())
    rds_dr.modify_db_cluster_parameter_group(DBClusterParameterGroupName=f"{NAME}-dr-aurora-postgresql16",
                                             Parameters=tls)
    replica = rds_dr.create_db_instance_read_replica(
        DBInstanceIdentifier=f"{NAME}-reporting-dr", SourceDBInstanceIdentifier=db["DBInstanceArn"],
        DBInstanceClass="db.m6g.large", MultiAZ=True, KmsKeyId=dr_key["Arn"], PubliclyAccessible=False,
        DBParameterGroupName=f"{NAME}-dr-postgres16", VpcSecurityGroupIds=[sg], Tags=_tl())["DBInstance"]
    secondary = rds_dr.create_db_cluster(
        DBClusterIdentifier=f"{NAME}-aurora-dr", Engine="aurora-postgresql", EngineVersion="16.4",
        GlobalClusterIdentifier=global_id, StorageEncrypted=True, KmsKeyId=dr_key["Arn"],
        DBClusterParameterGroupName=f"{NAME}-dr-aurora-postgresql16", VpcSecurityGroupIds=[sg],
        BackupRetentionPeriod=35, Tags=_tl())["DBCluster"]
    for k, az in enumerate(("us-west-2a", "us-west-2b")):
        rds_dr.create_db_instance(DBInstanceIdentifier=f"{NAME}-aurora-dr-{k}", DBClusterIdentifier=f"{NAME}-aurora-dr",
                                  Engine="aurora-postgresql", DBInstanceClass="db.r6g.large", AvailabilityZone=az,
                                  PubliclyAccessible=False, Tags=_tl())
    out["dr"] = {"replica": replica["DBInstanceArn"], "secondary": secondary["DBClusterArn"]}
    plan = c("backup", "us-west-2").create_backup_plan(BackupPlan={"BackupPlanName": f"{NAME}-dr-daily", "Rules": [{
        "RuleName": "daily-35d", "TargetBackupVaultName": f"{NAME}-dr", "ScheduleExpression": "cron(0 6 * * ? *)",
        "Lifecycle": {"DeleteAfterDays": 35},
        "CopyActions": [{"DestinationBackupVaultArn": f"arn:aws:backup:us-east-1:{ACCOUNT}:backup-vault:{NAME}-primary",
                         "Lifecycle": {"DeleteAfterDays": 35}}]}]}, BackupPlanTags=TAGS)
    if proxy is None:
        return
    _dr_selection(proxy, plan["BackupPlanId"], {
        "SelectionName": f"{NAME}-dr-databases", "IamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/{NAME}-backup",
        "Resources": [secondary["DBClusterArn"], replica["DBInstanceArn"]]})
    members = "".join(f"<member><DBClusterArn>{arn}</DBClusterArn><IsWriter>{str(w).lower()}</IsWriter></member>"
                      for arn, w in ((cluster["DBClusterArn"], True), (secondary["DBClusterArn"], False)))
    element = (f"<GlobalCluster><GlobalClusterIdentifier>{global_id}</GlobalClusterIdentifier>"
               f"<GlobalClusterArn>{glob['GlobalClusterArn']}</GlobalClusterArn><Engine>aurora-postgresql</Engine>"
               f"<GlobalClusterMembers>{members}</GlobalClusterMembers></GlobalCluster>").encode()

    def every_region(body: bytes) -> bytes:
        if global_id.encode() in body:
            return body
        if b"<GlobalClusters/>" in body:
            return body.replace(b"<GlobalClusters/>", b"<GlobalClusters>" + element + b"</GlobalClusters>")
        return body.replace(b"<GlobalClusters>", b"<GlobalClusters>" + element, 1)
    proxy.patch("rds", "DescribeGlobalClusters", every_region)


def _dr_selection(proxy: FaultProxy, plan_id: str, selection: dict) -> None:
    """The DR plan's selection, beside the primary plan's (``_emulate``): moto has no selections."""
    sid = "4f7d2c1a-0000-4000-8000-000000000002"
    before_list = proxy.stubs.get(("backup", "ListBackupSelections"))
    before_get = proxy.stubs.get(("backup", "GetBackupSelection"))

    def list_selections(path):
        if f"/plans/{plan_id}/" in path + "/":
            return 200, {"BackupSelectionsList": [{"SelectionId": sid, "SelectionName": selection["SelectionName"],
                                                   "BackupPlanId": plan_id, "IamRoleArn": selection["IamRoleArn"]}]}
        return before_list(path) if before_list else (200, {"BackupSelectionsList": []})

    def get_selection(path):
        if path.rstrip("/").endswith(sid) and f"/plans/{plan_id}/" in path:
            return 200, {"BackupSelection": selection, "SelectionId": sid, "BackupPlanId": plan_id}
        return before_get(path) if before_get else (404, {"message": "selection not found"})

    proxy.stub("backup", "ListBackupSelections", list_selections)
    proxy.stub("backup", "GetBackupSelection", get_selection)
