variable "keys" {
  type = list(string)
}

variable "choice" {
  type = string
}

resource "aws_db_instance" "by_input_index" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  storage_encrypted = true
  kms_key_id        = var.keys[tonumber(var.choice)]
}
