# The counter table. Wiring only: values come from env.hcl through the root include.
include "root" {
  path   = find_in_parent_folders("terragrunt.hcl")
  expose = true
}

terraform {
  source = "${get_repo_root()}/modules/dynamodb"
}

inputs = {
  name                   = include.root.locals.env.table_name
  point_in_time_recovery = include.root.locals.env.point_in_time_recovery
  deletion_protection    = include.root.locals.env.deletion_protection
}
