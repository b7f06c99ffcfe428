"""The Terragrunt live tree, read without Terragrunt: `hcl` parses files with python-hcl2, `tree`
knows the tree's file names, units and modules, `unit` gives a unit's effective config as
`terragrunt render --json` shows it (the entry point), `expressions` evaluates HCL, `functions`
and `config` hold Terraform's and Terragrunt's functions (the latter bound to a unit's context),
`codegen` and `hcl_format` write generated files as Terragrunt does, `inputs` reads what a unit
receives, `compose` turns an environment into one Terraform root to plan, and `contract` (with
`contract_root`, `contract_environment`, `contract_units` and their `problem`) checks the tree's
static contracts.
"""
