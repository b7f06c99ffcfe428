resource "aws_dynamodb_table" "this" {
  #checkov:skip=CKV_AWS_119:SSE is on with the AWS managed key (aws/dynamodb); a customer managed key adds cost and a key policy to guard a public visitor count.

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
    enabled = true
  }

  tags = var.tags
}
