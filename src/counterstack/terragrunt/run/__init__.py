"""`terragrunt run` and `run --all` carried out without a Terragrunt binary, for the local account.

`main.terragrunt(argv, cwd)` takes Terragrunt's own command line. Each unit runs in its own working
copy (`workcopy`) with its generated files, its state where the root's remote_state puts it (S3
bootstrapped by `bootstrap`), its inputs as `TF_VAR_*` (`tf_vars`), its dependencies' outputs read
from their state, its hooks (`hooks`); `run_all` orders units with `queue`. `guard` keeps it to
the project's local account. Held to Terragrunt's own run tests (tests/terragrunt_conformance).
"""
