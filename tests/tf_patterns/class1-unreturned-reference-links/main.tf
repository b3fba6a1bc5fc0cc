# A flow log and a web ACL association whose target argument evaluates to something else do not
# cover the VPC or load balancer they mention in an argument coalesce() does not return.
variable "other_vpc" {
  default = "vpc-0123456789abcdef0"
}

variable "other_lb" {
  default = "arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/other/0123456789abcdef"
}

resource "aws_vpc" "main" {
  cidr_block = "10.20.0.0/16"
}

resource "aws_flow_log" "elsewhere" {
  vpc_id               = coalesce(var.other_vpc, aws_vpc.main.id)
  traffic_type         = "ALL"
  log_destination_type = "s3"
  log_destination      = "arn:aws:s3:::pattern-flow-logs"
}

resource "aws_lb" "public" {
  name               = "pattern-public"
  load_balancer_type = "application"
  internal           = false
  subnets            = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
}

resource "aws_wafv2_web_acl_association" "elsewhere" {
  resource_arn = coalesce(var.other_lb, aws_lb.public.arn)
  web_acl_arn  = "arn:aws:wafv2:eu-west-1:111111111111:regional/webacl/pattern/0123456789abcdef"
}
