"""Promotion: plan an environment into saved plans, review them, apply exactly those plans.

`environment` reads what is promoted (units in dependency order, the account it must be),
`review` summarises saved plans and refuses a destroy or replacement of what holds the site's data
and public URL, and the two runners make and apply the plans: `terragrunt_runner` unit by unit
with Terragrunt (the workflow), `compose_runner` as one composed Terraform root against the local
account (the rehearsal in .ci/run, where Terragrunt cannot be installed).
"""
