resource "aws_elasticache_serverless_cache" "sessions" {
  engine = "valkey"
  name   = "pattern-sessions"
}
