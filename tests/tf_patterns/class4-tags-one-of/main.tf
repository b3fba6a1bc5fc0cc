# Tags made with a conditional whose condition is read at apply time: each tag set the source may
# give is judged, and TAG-01 is decided only when they all answer alike.
data "aws_ssm_parameter" "flag" {
  name = "/pattern/flag"
}

locals {
  required = { Environment = "prod", Project = "pattern", CostCenter = "cc-1", Owner = "team-a" }
  maybe    = data.aws_ssm_parameter.flag.value == "1" ? { Name = "pattern" } : {}
}

resource "aws_sqs_queue" "missing_either_way" {
  name = "pattern-missing"
  tags = merge({ Team = "platform" }, local.maybe)
}

resource "aws_sqs_queue" "complete_either_way" {
  name = "pattern-complete"
  tags = merge(local.required, data.aws_ssm_parameter.flag.value == "1" ? { Name = "pattern" } : { Name = "other" })
}

resource "aws_sqs_queue" "depends" {
  name = "pattern-depends"
  tags = data.aws_ssm_parameter.flag.value == "1" ? local.required : { Team = "platform" }
}

resource "aws_sqs_queue" "per_key" {
  name = "pattern-per-key"
  # one conditional met once per key, whose branches differ from key to key: the same choice for
  # every key gives all four tags (or a duplicate key, no value), but flag = "Stage" leaves
  # Environment out
  tags = merge({ Project = "pattern", CostCenter = "cc-1", Owner = "team-a" },
    { for k in ["Environment", "Stage"] : (data.aws_ssm_parameter.flag.value == k ? k : "Team") => "prod" })
}
