"""Time `specguard scan DIR` on a generated 500-resource .tf tree (and Checkov on the same tree).

    python3 bench/bench_hcl.py [--resources 500] [--keep DIR] [--checkov PATH]

Both tools run as whole processes, once each (no warm-up run, no cache): the
figure is what a CI job would see.  specguard is byte-compiled first, as
`pip install` does (see compile_bytecode); --no-bytecode measures without.  The tree is a realistic mix of the types the
controls cover (databases and their keys, buckets with encryption/versioning
resources, security groups with rules between tiers, caches, queues, topics,
tables, listeners), with variables, locals, merge(), count, for_each and a local
module, so the evaluator does the work it does on real code.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HEADER = '''terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = local.common_tags
  }
}

variable "region" {
  default = "us-east-1"
}

variable "environment" {
  default = "prod"
}

locals {
  common_tags = {
    Environment = var.environment
    Project     = "platform"
    CostCenter  = "cc-1234"
    Owner       = "platform-team"
  }
  tiers = toset(["web", "app", "db", "monitoring"])
}
'''

MODULE = '''variable "name" {}
variable "kms_key_arn" {}
variable "security_group_ids" { default = [] }

resource "aws_db_instance" "this" {
  identifier              = var.name
  engine                  = "postgres"
  instance_class          = "db.r6g.large"
  allocated_storage       = 100
  storage_encrypted       = true
  kms_key_id              = var.kms_key_arn
  multi_az                = true
  backup_retention_period = 35
  vpc_security_group_ids  = var.security_group_ids
}

output "arn" { value = aws_db_instance.this.arn }
'''


def unit(i: int) -> tuple[str, int]:
    """One group of resources (returns text and how many resources it declares)."""
    return f'''
resource "aws_kms_key" "k{i}" {{
  description         = "key {i}"
  enable_key_rotation = {"true" if i % 7 else "false"}
}}

resource "aws_security_group" "app{i}" {{
  name   = "app-{i}-${{var.environment}}"
  vpc_id = "vpc-0123456789abcdef0"
  tags   = {{ Tier = "app" }}

  ingress {{
    from_port       = 8080
    to_port         = 8080
    protocol        = "tcp"
    security_groups = [aws_security_group.web{i}.id]
  }}
}}

resource "aws_security_group" "web{i}" {{
  name = "web-{i}"
  tags = merge(local.common_tags, {{ Tier = "web" }})

  ingress {{
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }}
}}

resource "aws_security_group" "db{i}" {{
  name = "db-{i}"
  tags = {{ Tier = "db" }}

  ingress {{
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [aws_security_group.app{i}.id]
  }}
}}

resource "aws_security_group_rule" "web{i}_http" {{
  type              = "ingress"
  security_group_id = aws_security_group.web{i}.id
  from_port         = 80
  to_port           = 80
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
}}

resource "aws_db_instance" "db{i}" {{
  identifier              = format("db-%03d", {i})
  engine                  = "postgres"
  instance_class          = "db.r6g.large"
  allocated_storage       = 100
  storage_encrypted       = true
  kms_key_id              = aws_kms_key.k{i}.arn
  multi_az                = var.environment == "prod" ? true : false
  backup_retention_period = {35 if i % 5 else 7}
  vpc_security_group_ids  = [aws_security_group.db{i}.id]
}}

resource "aws_s3_bucket" "b{i}" {{
  bucket = "bucket-{i}-${{var.environment}}"
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "b{i}" {{
  bucket = aws_s3_bucket.b{i}.id
  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.k{i}.arn
    }}
  }}
}}

resource "aws_s3_bucket_versioning" "b{i}" {{
  bucket = aws_s3_bucket.b{i}.id
  versioning_configuration {{
    status = "Enabled"
  }}
}}

resource "aws_sqs_queue" "q{i}" {{
  name                    = "queue-{i}"
  sqs_managed_sse_enabled = true
}}

resource "aws_dynamodb_table" "t{i}" {{
  name         = "table-{i}"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"
  attribute {{
    name = "id"
    type = "S"
  }}
  server_side_encryption {{
    enabled     = true
    kms_key_arn = aws_kms_key.k{i}.arn
  }}
  point_in_time_recovery {{
    enabled = true
  }}
}}
''', 11


def generate(directory: str, n: int) -> int:
    os.makedirs(os.path.join(directory, "modules", "db"), exist_ok=True)
    with open(os.path.join(directory, "modules", "db", "main.tf"), "w") as fh:
        fh.write(MODULE)
    count = 0
    chunks, i = [HEADER], 0
    while count + 11 <= n - 5:
        text, k = unit(i)
        chunks.append(text)
        count += k
        i += 1
    # the rest: a module called with for_each, and count-expanded topics
    chunks.append(f'''
module "db" {{
  source             = "./modules/db"
  for_each           = toset(["orders", "billing"])
  name               = "mod-${{each.key}}"
  kms_key_arn        = aws_kms_key.k0.arn
  security_group_ids = [aws_security_group.db0.id]
}}

resource "aws_sns_topic" "events" {{
  count             = {n - count - 2}
  name              = "events-${{count.index}}"
  kms_master_key_id = aws_kms_key.k1.arn
}}
''')
    count = n
    # split over several files, like a real root module
    per = max(1, len(chunks) // 10)
    for f in range(0, len(chunks), per):
        with open(os.path.join(directory, f"part{f // per:02d}.tf"), "w") as fh:
            fh.write("".join(chunks[f:f + per]))
    return count


def compile_bytecode(env: dict) -> None:
    """What `pip install` does: byte-compile specguard, so a run does not compile its sources first.

    This environment sets PYTHONDONTWRITEBYTECODE=1, which would make every run of a checkout
    compile every module again (about 0.1 s); an installed package never pays that.
    """
    import scanner
    import scanner.rules
    dirs = [os.path.dirname(scanner.__file__)] + list(scanner.rules.__path__)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", *dirs], check=True, env=env,
                   stdout=subprocess.DEVNULL)


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, int]:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    elapsed = time.perf_counter() - t0
    if r.returncode not in (0, 1):
        sys.exit(f"{cmd[0]} failed ({r.returncode}): {r.stderr.strip()[-500:]}")
    return elapsed, r.returncode


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resources", type=int, default=500)
    ap.add_argument("--keep", metavar="DIR", help="write the tree here and keep it")
    ap.add_argument("--checkov", metavar="PATH", help="a checkov executable (its own venv)")
    ap.add_argument("--repeat", type=int, default=5,
                    help="specguard runs (the best is kept, as bench_plan.py does: a 0.2 s process on a shared "
                         "machine; Checkov's run of several seconds is measured once)")
    ap.add_argument("--no-bytecode", action="store_true",
                    help="do not byte-compile specguard first (keeps PYTHONDONTWRITEBYTECODE as it is)")
    args = ap.parse_args(argv)
    env = dict(os.environ)
    if not args.no_bytecode:
        compile_bytecode(env)
    directory = args.keep or tempfile.mkdtemp(prefix="specguard-bench-")
    try:
        n = generate(directory, args.resources)
        out = os.path.join(tempfile.gettempdir(), f"specguard-bench-{os.getpid()}.json")
        spec_s, rc = min(timed([sys.executable, "-m", "scanner", "scan", directory, "--quiet",
                                "--format", "json", "-o", out], env) for _ in range(max(1, args.repeat)))
        if os.path.exists(out):
            os.unlink(out)
        print(f"tree: {directory} ({n} resources)")
        how = "bytecode compiled, as installed" if not args.no_bytecode else "sources compiled on each run"
        print(f"specguard scan DIR: {spec_s:.3f} s, best of {max(1, args.repeat)} (exit {rc}; {how})")
        if args.checkov:
            # --skip-download: no attempt to reach the Bridgecrew API (it is not reachable here, and
            # waiting for it would flatter specguard)
            ck_s, _ = timed([args.checkov, "-d", directory, "--framework", "terraform", "--quiet", "--compact",
                             "--skip-download"])
            print(f"checkov -d DIR --framework terraform: {ck_s:.3f} s")
            print(f"ratio: {ck_s / spec_s:.1f}x")
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
