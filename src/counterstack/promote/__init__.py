"""Promotion: plan an environment into saved plans, review them, apply exactly those plans.

`environment` reads what is promoted (units in the runner's waves, the account it must be),
`review` summarises saved plans and refuses a destroy or replacement of what holds the site's data
and public URL, and `terragrunt_runner` makes and applies the plans unit by unit through
Terragrunt's command line: the `terragrunt` binary when it is on PATH (the workflow), else the
project's runner (`counterstack.terragrunt.run`, the local account only; the rehearsal in .ci/run).
"""
