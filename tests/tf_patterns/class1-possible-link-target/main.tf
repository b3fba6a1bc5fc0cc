# One flow log whose VPC is chosen by a key known only at apply time records one VPC, not both:
# each is a possible target, which is never enough for a pass.
data "aws_ssm_parameter" "choice" {
  name = "/pattern/choice"
}

resource "aws_vpc" "x" {
  cidr_block = "10.30.0.0/16"
}

resource "aws_vpc" "y" {
  cidr_block = "10.31.0.0/16"
}

resource "aws_flow_log" "one" {
  vpc_id               = lookup({ x = aws_vpc.x.id, y = aws_vpc.y.id }, data.aws_ssm_parameter.choice.value, aws_vpc.x.id)
  traffic_type         = "ALL"
  log_destination_type = "s3"
  log_destination      = "arn:aws:s3:::pattern-flow-logs"
}
