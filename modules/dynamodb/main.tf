resource "aws_dynamodb_table" "this" {
  #checkov:skip=CKV_AWS_119:SSE is always on; a customer managed key is an opt-in (kms_key_arn): by default the AWS managed key (aws/dynamodb) guards a public visitor count without a key policy to run.

  name                        = var.name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = var.hash_key
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = var.hash_key
    type = "S"
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn # null: the AWS managed key
  }

  tags = var.tags
}
