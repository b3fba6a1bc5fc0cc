# A reader whose existence is unknowable cannot make the cluster highly available.
data "aws_ssm_parameter" "reader_wanted" {
  name = "/platform/reader"
}

resource "aws_rds_cluster" "main" {
  cluster_identifier      = "pattern"
  engine                  = "aurora-postgresql"
  master_username         = "app"
  manage_master_user_password = true
  storage_encrypted       = true
  backup_retention_period = 35
}

resource "aws_rds_cluster_instance" "writer" {
  cluster_identifier = aws_rds_cluster.main.id
  instance_class     = "db.r6g.large"
  engine             = aws_rds_cluster.main.engine
}

resource "aws_rds_cluster_instance" "reader" {
  count              = data.aws_ssm_parameter.reader_wanted.value == "yes" ? 1 : 0
  cluster_identifier = aws_rds_cluster.main.id
  instance_class     = "db.r6g.large"
  engine             = aws_rds_cluster.main.engine
}
