"""Benchmark of `specguard audit aws`: one account, 3 regions, 1,000 resources per region, 50 ms per request.

moto's server (one process per region) runs behind the test proxy (tests/aws_support.py) that adds
the latency and counts every request; the audit runs as the real command in its own process,
reaching the proxy through AWS_ENDPOINT_URL.  Resources are loaded straight into moto (no
latency).  The mix per region follows the platform's proportions of collected types:

    250 security groups (with ingress rules), 200 EBS volumes, 100 RDS instances, 80 secrets,
    50 EFS file systems, 80 SQS queues (half of them with a dead-letter queue), 40 SNS topics,
    40 SNS subscriptions (to the queues), 50 DynamoDB tables, 25 KMS keys, 25 Kinesis streams,
    20 ElastiCache replication groups, 20 S3 buckets (all 60 in us-east-1; a quarter of them tagged
    Criticality=critical);
and once per account (IAM is global) 10 roles with an inline policy, 5 customer policies and
5 users, so the estate is shaped like a real account: many buckets, security groups with rules,
databases, caches, queues and topics, keys.

S3's ListBuckets is answered as AWS answers a paginated request, with each bucket's BucketRegion,
which moto leaves out (tests/aws_bucket_region.py; --moto-as-is: moto's answer as it is).

Run:  python3 bench/bench_aws.py [--concurrency 16] [--delay 0.05] [--per-region 1000]
      python3 bench/bench_aws.py --against REV    # the same estate audited by REV too: calls and documents compared
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from aws_support import CLEAR, FaultProxy, MotoServer, aws_env, client  # noqa: E402
from aws_bucket_region import BucketRegionProxy  # noqa: E402

REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
MIX = {"sg": 250, "volume": 200, "rds": 100, "secret": 80, "efs": 50, "sqs": 80, "sns": 40, "subscription": 40,
       "dynamodb": 50, "kms": 25, "kinesis": 25, "bucket": 20, "cache": 20}
GLOBAL = {"role": 10, "policy": 5, "user": 5}   # IAM: once per account, in the first region's process
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "arn:aws:sqs:*:123456789012:q*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
# operations made once per region and service (listings, and tag:GetResources, 100 resources a page),
# as opposed to once per resource
LISTINGS = {"DescribeRegions", "GetCallerIdentity", "DescribeSecurityGroups", "DescribeVolumes", "DescribeDBInstances",
            "DescribeDBClusters", "DescribeDBParameterGroups", "DescribeDBClusterParameterGroups",
            "DescribeDBParameters", "DescribeDBClusterParameters", "ListKeys", "DescribeLoadBalancers",
            "GetDomainNames", "GetDomainNamesV2", "DescribeFileSystems", "ListTables", "DescribeReplicationGroups",
            "ListStreams", "ListQueues", "ListTopics", "ListSubscriptions", "ListSecrets", "ListBackupPlans",
            "ListBuckets", "ListDistributions", "GetResources"}


def load(endpoint: str, region: str, scale: float) -> int:
    n = {k: max(1, round(v * scale)) for k, v in MIX.items()}
    c = lambda svc: client(endpoint, svc, region)  # noqa: E731
    tags = [{"Key": "Environment", "Value": "prod"}, {"Key": "Project", "Value": "bench"}]
    ec2, rds, sm, efs, sqs, sns, ddb, kms, kin = (c(s) for s in ("ec2", "rds", "secretsmanager", "efs", "sqs", "sns",
                                                              "dynamodb", "kms", "kinesis"))
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    jobs: list = []
    groups: list[int] = []   # where each kind's jobs start
    groups.append(len(jobs))
    jobs += [lambda i=i: ec2.create_security_group(GroupName=f"g{i}", Description="b", VpcId=vpc, TagSpecifications=[
        {"ResourceType": "security-group", "Tags": tags + [{"Key": "Tier", "Value": "app"}]}]) for i in range(n["sg"])]
    groups.append(len(jobs))
    jobs += [lambda: ec2.create_volume(AvailabilityZone=f"{region}a", Size=1, Encrypted=True, TagSpecifications=[
        {"ResourceType": "volume", "Tags": tags}]) for _ in range(n["volume"])]
    groups.append(len(jobs))
    jobs += [lambda i=i: rds.create_db_instance(DBInstanceIdentifier=f"db{i}", Engine="postgres", AllocatedStorage=20,
                                                DBInstanceClass="db.t3.micro", MasterUsername="u",
                                                MasterUserPassword="password-123", Tags=tags) for i in range(n["rds"])]
    groups.append(len(jobs))
    jobs += [lambda i=i: sm.create_secret(Name=f"s{i}", SecretString="x", Tags=tags) for i in range(n["secret"])]
    groups.append(len(jobs))
    jobs += [lambda i=i: efs.create_file_system(CreationToken=f"fs{i}", Encrypted=True, Tags=tags) for i in range(n["efs"])]
    groups.append(len(jobs))
    jobs += [lambda i=i: sqs.create_queue(QueueName=f"q{i}", tags={"Environment": "prod"}, Attributes=(
        {"RedrivePolicy": json.dumps({"deadLetterTargetArn": f"arn:aws:sqs:{region}:123456789012:q0",
                                      "maxReceiveCount": 5})} if i % 2 else {})) for i in range(n["sqs"])]
    groups.append(len(jobs))
    jobs += [lambda i=i: sns.create_topic(Name=f"t{i}", Tags=tags) for i in range(n["sns"])]
    groups.append(len(jobs))
    # S3 is global: the first region's process holds every bucket (in us-east-1), as it answers ListBuckets
    s3 = c("s3")
    if region != REGIONS[0]:
        n["bucket"] = 0
    else:
        n["bucket"] *= len(REGIONS)
    jobs += [lambda i=i: (s3.create_bucket(Bucket=f"bench-{region}-{i}"), s3.put_bucket_tagging(
        Bucket=f"bench-{region}-{i}", Tagging={"TagSet": tags + [
            {"Key": "Criticality", "Value": "critical" if i % 4 == 0 else "standard"}]}))
             for i in range(n["bucket"])]
    groups.append(len(jobs))
    ec = c("elasticache")
    jobs += [lambda i=i: ec.create_replication_group(ReplicationGroupId=f"rg{i}", ReplicationGroupDescription="b",
                                                     Engine="redis", CacheNodeType="cache.t3.micro",
                                                     NumCacheClusters=2, TransitEncryptionEnabled=True,
                                                     AtRestEncryptionEnabled=True) for i in range(n["cache"])]
    groups.append(len(jobs))
    jobs += [lambda i=i: ddb.create_table(TableName=f"tb{i}", BillingMode="PAY_PER_REQUEST", Tags=tags,
                                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
             for i in range(n["dynamodb"])]
    groups.append(len(jobs))
    jobs += [lambda: kms.create_key(Tags=[{"TagKey": "Environment", "TagValue": "prod"}]) for _ in range(n["kms"])]
    groups.append(len(jobs))
    jobs += [lambda i=i: kin.create_stream(StreamName=f"k{i}", ShardCount=1) for i in range(n["kinesis"])]
    # moto sets a service up on its first request, and EC2's security groups and volumes are not
    # safe to create concurrently: those, and one of each other kind, go first and one at a time
    serial = set(range(groups[2])) | set(groups)
    for i in sorted(serial):
        jobs[i]()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda f: f(), [j for i, j in enumerate(jobs) if i not in serial]))
    with ThreadPoolExecutor(8) as pool:   # subscriptions once their topics and queues exist
        list(pool.map(lambda i: sns.subscribe(TopicArn=f"arn:aws:sns:{region}:123456789012:t{i % n['sns']}",
                                              Protocol="sqs",
                                              Endpoint=f"arn:aws:sqs:{region}:123456789012:q{i % n['sqs']}"),
                      range(n["subscription"])))
    # security groups with rules, as real ones have (one rule each; moto's EC2 is not safe concurrently)
    for g in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]:
        if g["GroupName"] != "default":
            ec2.authorize_security_group_ingress(GroupId=g["GroupId"], IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])
    total = sum(n.values())
    if region == REGIONS[0]:
        iam = client(endpoint, "iam", region)
        for i in range(GLOBAL["role"]):
            iam.create_role(RoleName=f"svc{i}", AssumeRolePolicyDocument=TRUST)
            iam.put_role_policy(RoleName=f"svc{i}", PolicyName="send", PolicyDocument=POLICY)
        for i in range(GLOBAL["policy"]):
            iam.create_policy(PolicyName=f"p{i}", PolicyDocument=POLICY)
        for i in range(GLOBAL["user"]):
            iam.create_user(UserName=f"person{i}")
        total += sum(GLOBAL.values())
    return total


# moto builds a service's backends on its first request to that service, which takes a second or more
# on this machine class and holds up every other request to that process; real AWS has no such cost,
# so each service the audit reads is touched once, per region, before the clock starts
WARM = [("apigateway", "get_domain_names"), ("apigatewayv2", "get_domain_names"), ("backup", "list_backup_plans"),
        ("cloudfront", "list_distributions"), ("dynamodb", "list_tables"), ("ec2", "describe_security_groups"),
        ("efs", "describe_file_systems"), ("elasticache", "describe_replication_groups"),
        ("elbv2", "describe_load_balancers"), ("kinesis", "list_streams"), ("kms", "list_keys"),
        ("rds", "describe_db_clusters"), ("resourcegroupstaggingapi", "get_resources"), ("s3", "list_buckets"),
        ("secretsmanager", "list_secrets"), ("sns", "list_topics"), ("sqs", "list_queues"),
        ("sts", "get_caller_identity"), ("iam", "list_roles")]


def warm(endpoint: str, region: str) -> None:
    for service, op in WARM:
        getattr(client(endpoint, service, region), op)()


def _timeline(rows: list, t0: float, delay: float, concurrency: int) -> None:
    """Where the wall time goes: time before the first call, moto's own time per request, and the
    busiest operations' spans (seconds after the audit process started)."""
    if not rows:
        return
    first, last = min(r[0] for r in rows) - t0, max(r[2] for r in rows) - t0
    upstream = sorted(r[1] for r in rows)
    print(f"first call at          {first:.2f}s, last answer at {last:.2f}s (the rest is start-up and the report)")
    print(f"moto time per request  median {upstream[len(upstream) // 2] * 1000:.0f} ms, "
          f"p90 {upstream[int(len(upstream) * 0.9)] * 1000:.0f} ms, sum {sum(upstream):.1f}s")
    print(f"bound with moto's time (calls x 50 ms + moto's own time) / concurrency = "
          f"{(len(rows) * delay + sum(upstream)) / concurrency:.2f}s")
    spans: dict = {}
    for start, _, end, op, _ in rows:
        a, b, n = spans.get(op, (start, end, 0))
        spans[op] = (min(a, start), max(b, end), n + 1)
    slow: Counter = Counter()
    for _, took, _, op, _ in rows:
        slow[op] += took
    print("moto's slowest ops     " + ", ".join(f"{op} {t:.1f}s" for op, t in slow.most_common(6)))
    busiest = sorted(spans.items(), key=lambda kv: -kv[1][2])[:8]
    print("spans                  " + ", ".join(f"{op} {a - t0:.1f}-{b - t0:.1f}s" for op, (a, b, _) in busiest))


def audit_cmd(src: pathlib.Path | None, out: pathlib.Path, concurrency: int) -> list[str]:
    """The audit as a command: this tree's specguard, or (``src``) a revision checked out by
    same_findings.checkout, its scanner, rules and reports packages mapped by same_findings' launcher."""
    args = ["audit", "aws", "--regions", ",".join(REGIONS), "--concurrency", str(concurrency), "--format", "json",
            "-o", str(out), "--quiet"]
    if src is None:
        return [sys.executable, "-m", "scanner", *args]
    from same_findings import LAUNCHER
    return [sys.executable, "-c", LAUNCHER, str(src), *args]


def by_operation(proxy) -> Counter:
    ops: Counter = Counter()
    for (service, op, region), n in proxy.seen.items():
        ops[op] += n
    return ops


def compare(rev: str, base: Counter, base_doc: bytes, env: dict, proxy, opts, resources: int, tmp: pathlib.Path
            ) -> bool:
    """The same estate audited by ``rev``: its calls by operation beside this run's, and whether its
    results document (less the "run" block: times, versions) is the same, byte for byte."""
    from same_findings import checkout, strip_run
    src = checkout(rev, tmp)
    try:
        out = tmp / "against.json"
        proxy.seen.clear()
        r = subprocess.run(audit_cmd(src, out, opts.concurrency), env=env, capture_output=True, text=True, cwd=ROOT)
        if r.returncode not in (0, 1):
            print(r.stderr[-2000:])
            return False
        ops = by_operation(proxy)
        total = sum(ops.values())
        print(f"against {rev:<14} {total} calls, {total / resources:.3f} per resource")
        print(f"calls that differ       ({rev} -> this run; IAM's credential report is polled until built, so "
              f"the first audit of an estate makes one more GenerateCredentialReport)")
        print("                       " + ", ".join(f"{op} {ops[op]} -> {base[op]}"
                                                     for op in sorted(ops.keys() | base.keys(), key=lambda o: -ops[o])
                                                     if ops[op] != base[op]))
        same = strip_run(out.read_bytes()) == strip_run(base_doc)
        if not same:
            fa = {(f["control_id"], f["resource"]["address"]): f for f in json.loads(out.read_bytes())["findings"]}
            fb = {(f["control_id"], f["resource"]["address"]): f for f in json.loads(base_doc)["findings"]}
            diff = sorted(k for k in fa.keys() | fb.keys() if fa.get(k) != fb.get(k))
            print(f"results document       DIFFERENT: {len(diff)} findings differ, e.g. {diff[:3]}")
        else:
            print(f"results document       the same as {rev}'s (less the run block), byte for byte")
        return same
    finally:
        if src != ROOT and src.parent == tmp:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(src)], check=False)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--delay", type=float, default=0.05)
    ap.add_argument("--per-region", type=int, default=1000)
    ap.add_argument("--moto-as-is", action="store_true",
                    help="moto's ListBuckets as it is, without the BucketRegion AWS gives a paginated request "
                         "(then each bucket costs a GetBucketLocation that on AWS it does not)")
    ap.add_argument("--rev", help="audit with this git revision (checked out aside) instead of this tree")
    ap.add_argument("--against", metavar="REV",
                    help="audit the same estate again with this git revision: its calls by operation, and "
                         "whether its results document is the same (exit 1 if not)")
    ap.add_argument("--keep", metavar="PATH", help="write the audit's results document here too")
    opts = ap.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # one moto process per region (moto serves one request at a time per process, ~4 ms each; one
    # process for 1,800 calls would measure moto, not the audit); global calls go to the first
    servers = {r: MotoServer(process=True) for r in REGIONS}
    # AWS lists each bucket's region in a paginated ListBuckets; moto never does (tests/aws_bucket_region.py)
    kind = FaultProxy if opts.moto_as_is else BucketRegionProxy
    proxy = kind(servers[REGIONS[0]].url, delay=opts.delay, by_region={r: s.url for r, s in servers.items()})
    try:
        t0 = time.monotonic()
        with ThreadPoolExecutor(len(REGIONS)) as pool:
            resources = sum(pool.map(lambda r: load(servers[r].url, r, opts.per_region / 1000), REGIONS))
        print(f"loaded {resources} resources in {time.monotonic() - t0:.1f}s "
              f"({len(REGIONS)} regions, {opts.per_region} per region)")
        for r in REGIONS:
            warm(servers[r].url, r)
        env = {k: v for k, v in os.environ.items() if k not in CLEAR}
        env.update(aws_env(proxy.url))
        with tempfile.TemporaryDirectory() as tmp:
            tmp = pathlib.Path(tmp)
            out = tmp / "results.json"
            src = None
            if opts.rev:
                from same_findings import checkout
                src = checkout(opts.rev, tmp)
            proxy.seen.clear()
            proxy.timeline = []
            moto_cpu = sum(s.cpu_seconds() for s in servers.values())
            ru_self, ru_kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.monotonic()
            r = subprocess.run(audit_cmd(src, out, opts.concurrency), env=env, capture_output=True, text=True,
                               cwd=ROOT)
            wall = time.monotonic() - t0
            moto_cpu = sum(s.cpu_seconds() for s in servers.values()) - moto_cpu
            ru_self2, ru_kids2 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu_audit = (ru_kids2.ru_utime + ru_kids2.ru_stime) - (ru_kids.ru_utime + ru_kids.ru_stime)
            cpu_server = (ru_self2.ru_utime + ru_self2.ru_stime) - (ru_self.ru_utime + ru_self.ru_stime)
            if src is not None and src.parent == tmp:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(src)], check=False)
            if r.returncode not in (0, 1):
                print(r.stderr)
                return 2
            doc_bytes = out.read_bytes()
            doc = json.loads(doc_bytes)
            if opts.keep:
                pathlib.Path(opts.keep).write_bytes(doc_bytes)
            calls = proxy.total
            by_op = by_operation(proxy)
            timeline = proxy.timeline
            proxy.timeline = None
            same = True
            if opts.against:
                same = compare(opts.against, by_op, doc_bytes, env, proxy, opts, resources, tmp)
        listing = sum(n for op, n in by_op.items() if op in LISTINGS)
        bound = calls * opts.delay / opts.concurrency
        if opts.moto_as_is:
            print("ListBuckets            moto's answer as it is: no BucketRegion")
        else:
            print(f"ListBuckets            as AWS answers a paginated request, with BucketRegion "
                  f"({proxy.listed_paginated} of {by_op['ListBuckets']} requests were paginated)")
        print(f"audit wall time        {wall:.2f}s (process start and report included)")
        print(f"API calls (HTTP)       {calls}  = {listing} listing calls + {calls - listing} per-resource calls")
        print(f"calls per resource     {calls / resources:.3f}  (per-resource calls only: "
              f"{(calls - listing) / resources:.3f}; target <= 0.5: {'met' if calls / resources <= 0.5 else 'NOT met'})")
        ratio = f"{wall / bound:.2f}" if bound else "n/a (no latency added)"
        print(f"bound                  calls x {opts.delay * 1000:.0f} ms / concurrency {opts.concurrency} "
              f"= {bound:.2f}s; wall / bound = {ratio} (required <= 3)")
        print(f"CPU seconds            audit process {cpu_audit:.1f}, moto {moto_cpu:.1f}, proxy {cpu_server:.1f} "
              f"({os.cpu_count()} CPUs: {(cpu_audit + moto_cpu + cpu_server) / wall / (os.cpu_count() or 1):.0%} busy)")
        print(f"findings               {len(doc['findings'])}, coverage entries {len(doc['coverage'])}")
        print("calls by operation     " + ", ".join(f"{op} {n}" for op, n in by_op.most_common()))
        _timeline(timeline, t0, opts.delay, opts.concurrency)
        return 0 if same else 1
    finally:
        proxy.stop()
        for s in servers.values():
            s.stop()

if __name__ == "__main__":
    sys.exit(main())
