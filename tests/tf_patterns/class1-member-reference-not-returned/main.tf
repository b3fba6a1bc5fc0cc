# Instances whose cluster_identifier evaluates to another cluster's name are not this cluster's members,
# even though this cluster is referenced in an argument coalesce() does not return.
variable "cluster_id" {
  default = "some-other-cluster"
}

resource "aws_rds_cluster" "main" {
  cluster_identifier          = "pattern-main"
  engine                      = "aurora-postgresql"
  master_username             = "app"
  manage_master_user_password = true
}

resource "aws_rds_cluster_instance" "member" {
  count              = 2
  cluster_identifier = coalesce(var.cluster_id, aws_rds_cluster.main.id)
  instance_class     = "db.r6g.large"
  engine             = "aurora-postgresql"
}
