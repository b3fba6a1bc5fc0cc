variable "vpcs" {
  type = list(string)
}

variable "all" {
  type = any
}

resource "aws_flow_log" "second" {
  vpc_id               = var.vpcs[1]
  traffic_type         = "ALL"
  log_destination_type = "s3"
  log_destination      = "arn:aws:s3:::pattern-flow-logs"
}

resource "aws_flow_log" "m1" {
  vpc_id               = var.all["m1"].id
  traffic_type         = "ALL"
  log_destination_type = "s3"
  log_destination      = "arn:aws:s3:::pattern-flow-logs"
}
