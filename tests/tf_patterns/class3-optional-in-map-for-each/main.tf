# Every element of a map(object) gets its optional() attributes; each.value.x is never "missing".
variable "listeners" {
  type = map(object({
    port       = number
    protocol   = optional(string, "HTTPS")
    ssl_policy = optional(string)
  }))
  default = {
    secure = { port = 443 }
    legacy = { port = 8443, ssl_policy = "ELBSecurityPolicy-TLS-1-0-2015-04" }
  }
}

resource "aws_lb_listener" "this" {
  for_each          = var.listeners
  load_balancer_arn = "arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/pattern/0123456789abcdef"
  port              = each.value.port
  protocol          = each.value.protocol
  ssl_policy        = coalesce(each.value.ssl_policy, "ELBSecurityPolicy-TLS13-1-3-2021-06")
  certificate_arn   = "arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-0000-0000-000000000000"

  default_action {
    type             = "forward"
    target_group_arn = "arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/pattern/0123456789abcdef"
  }
}
