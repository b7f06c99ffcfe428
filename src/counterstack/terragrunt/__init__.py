"""The Terragrunt live tree, read without Terragrunt: `hcl` parses files with python-hcl2, `tree`
knows the tree's file names, units and modules, `expressions` evaluates HCL expressions, `config`
reads a Terragrunt config as one unit sees it (Terragrunt's functions bound to that unit),
`inputs` says what a unit receives from the root, `compose` turns an environment into one
Terraform root to plan, and `contract` (with `contract_root`, `contract_environment`,
`contract_units` and their `problem`) checks the tree's static contracts.
"""
