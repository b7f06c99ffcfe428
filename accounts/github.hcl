# The GitHub repository whose workflows assume the roles accounts/<account>/identities makes, as
# OWNER/REPO. Every role trusts only this repository's jobs, each in its own environment. While it
# is empty, the identities units refuse to plan (modules/identities' `repository` validation).
locals {
  repository = ""
}
