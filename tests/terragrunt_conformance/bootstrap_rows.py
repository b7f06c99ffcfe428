"""The rows of `tables/backend_bootstrap.json` made runnable on the local account: each row's
remote_state laid out as a small tree (a root.hcl, one unit, a module with no provider), with the
local account's endpoint settings added, the row's names (<bucket>, <region>) and feature
defaults filled in, and the facts the row asserts read back from the local account's S3.
"""

import json
import re
import uuid
from pathlib import Path
from typing import Any

from counterstack.hcl_syntax import hcl_value

UNIT = "unit1"
REGION = "eu-west-1"
FEATURE = re.compile(r"^feature\.(\w+)\.value \(default (.*)\)$")
# Why a row (or the lock-table half of a row) is not run here.
LOCK_TABLE = "DynamoDB lock tables are not served: state locks with use_lockfile"
BACKEND_COMMANDS = "`backend delete` and `backend migrate` are not served by the runner"


def lock_table_row(row: dict[str, Any]) -> bool:
    return row["id"].startswith("lock-table-")


def backend_command_row(row: dict[str, Any]) -> bool:
    words = json.dumps(row).replace('"backend", "', "backend ")
    return "backend delete" in words or "backend migrate" in words


def remote_state_of(row: dict[str, Any], rows: dict[str, dict[str, Any]]) -> dict[str, Any]:
    state = row["setting"]["remote_state"]
    if isinstance(state, str):  # "as in <row id>"
        state = rows[state.removeprefix("as in ")]["setting"]["remote_state"]
    return dict(state)


def _flags(argv: list[str]) -> dict[str, str]:
    found = {}
    for i, word in enumerate(argv):
        if word == "--feature":
            name, _, value = argv[i + 1].partition("=")
            found[name] = value
    return found


def resolve(state: dict[str, Any], argv: list[str], names: dict[str, str]) -> dict[str, Any]:
    """The row's settings as values: placeholders named, features at their flag or default,
    a lock table replaced by S3's lockfile."""
    flags = _flags(argv)
    resolved: dict[str, Any] = {}
    for key, value in state.items():
        if isinstance(value, str):
            for placeholder, name in names.items():
                value = value.replace(placeholder, name)
            value = value.replace("${feature.key_prefix.value}", "")
            if match := FEATURE.match(value):
                default = json.loads(match.group(2))
                given = flags.get(match.group(1))
                value = default if given is None else _typed(given, default)
        if key == "backend":  # the block's own field, not a setting
            continue
        if key == "dynamodb_table":
            resolved["use_lockfile"] = True
            continue
        resolved[key] = value
    return {k: v for k, v in resolved.items() if v != ""}


def _typed(given: str, default: Any) -> Any:
    return given == "true" if isinstance(default, bool) else given


def local_settings(endpoint: str) -> dict[str, Any]:
    """What the S3 backend needs to reach the local account (as the root's local mode sets)."""
    return {
        "endpoints": {"s3": endpoint, "sts": endpoint},
        "access_key": "test",
        "secret_key": "test",
        "force_path_style": True,
        "skip_credentials_validation": True,
        "skip_region_validation": True,
        "skip_metadata_api_check": True,
        "skip_requesting_account_id": True,
        "skip_s3_checksum": True,
        # The local account speaks plain http: a policy denying it (EnforcedTLS) would lock
        # Terraform out of the state, as the root's local mode knows.
        "skip_bucket_enforced_tls": True,
    }


def _hcl(value: Any) -> str:
    """A setting as HCL; a key template (`${path_relative_to_include()}`) stays a template."""
    if isinstance(value, str) and "${path_relative_to_include()}" in value:
        return f'"{value}"'
    return hcl_value(value)


def lay_out(root: Path, config: dict[str, Any], disable_init: bool) -> None:
    """root.hcl with the remote_state, one unit including it, a module with a local module call
    (so `init` has something to put in .terraform) and no provider."""
    settings = "\n".join(f"    {key} = {_hcl(value)}" for key, value in config.items())
    (root / "root.hcl").write_text(
        "remote_state {\n"
        '  backend = "s3"\n'
        f"  disable_init = {_hcl(disable_init)}\n"
        '  generate = { path = "backend.tf", if_exists = "overwrite_terragrunt" }\n'
        f"  config = {{\n{settings}\n  }}\n"
        "}\n"
    )
    unit = root / UNIT
    (unit / "m").mkdir(parents=True)
    (unit / "terragrunt.hcl").write_text(
        'include "root" {\n  path = find_in_parent_folders("root.hcl")\n}\n'
    )
    (unit / "main.tf").write_text(
        'module "m" {\n  source = "./m"\n}\noutput "x" {\n  value = module.m.x\n}\n'
    )
    (unit / "m" / "main.tf").write_text('output "x" {\n  value = 1\n}\n')


def names() -> dict[str, str]:
    bucket = f"ct-tfstate-{uuid.uuid4().hex[:12]}"
    return {"<bucket>": bucket, "<region>": REGION, "<table>": f"{bucket}-locks"}


def terragrunt_argv(argv: list[str]) -> list[str]:
    """The row's argv without `--config <copy>` (the test runs in the unit) and log flags."""
    found, skip = [], False
    for word in argv:
        if skip:
            skip = False
            continue
        if word in ("--config", "--log-level"):
            skip = True
            continue
        found.append(word)
    return found


def bucket_facts(s3: Any, bucket: str) -> dict[str, Any]:
    """What the rows assert about a bucket, read back from S3."""
    from botocore.exceptions import ClientError

    def call(method: str, **kwargs: Any) -> Any:
        try:
            return getattr(s3, method)(Bucket=bucket, **kwargs)
        except ClientError:
            return None

    facts: dict[str, Any] = {"exists": call("head_bucket") is not None}
    versioning = call("get_bucket_versioning") or {}
    facts["versioning"] = versioning.get("Status") or "unset"
    block = call("get_public_access_block")
    facts["public_access_block"] = block["PublicAccessBlockConfiguration"] if block else None
    tags = call("get_bucket_tagging")
    facts["tags"] = {t["Key"]: t["Value"] for t in tags["TagSet"]} if tags else {}
    rules = (call("get_bucket_encryption") or {}).get("ServerSideEncryptionConfiguration", {})
    facts["sse_rules"] = rules.get("Rules", [])
    logging = (call("get_bucket_logging") or {}).get("LoggingEnabled") or {}
    facts["logging"] = {
        "target_bucket": logging.get("TargetBucket"),
        "target_prefix": logging.get("TargetPrefix"),
    }
    policy = call("get_bucket_policy")
    facts["policy"] = json.loads(policy["Policy"]) if policy else None
    return facts


def bucket_mismatches(facts: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    found = []
    for key in ("exists", "versioning", "public_access_block", "tags", "logging"):
        if key in expected and facts[key] != expected[key]:
            found.append(f"{key}: {facts[key]!r}, expected {expected[key]!r}")
    if "policy" in expected and (facts["policy"] is not None) != (expected["policy"] == "present"):
        found.append(f"policy: {facts['policy']!r}, expected {expected['policy']}")
    sids = {s.get("Sid") for s in (facts["policy"] or {}).get("Statement", [])}
    for sid in expected.get("policy_statement_sids_include", []):
        if sid not in sids:
            found.append(f"policy has no statement {sid} ({sorted(map(str, sids))})")
    defaults = [r.get("ApplyServerSideEncryptionByDefault", {}) for r in facts["sse_rules"]]
    if "sse_default_algorithm" in expected and (
        not defaults
        or any(d.get("SSEAlgorithm") != expected["sse_default_algorithm"] for d in defaults)
    ):
        found.append(f"sse: {defaults!r}, expected {expected['sse_default_algorithm']}")
    if "sse" in expected:
        sse = expected["sse"]
        first = defaults[0] if defaults else {}
        key = first.get("KMSMasterKeyID")
        checks = [
            len(facts["sse_rules"]) == sse.get("rules", len(facts["sse_rules"])),
            first.get("SSEAlgorithm") == sse.get("algorithm", first.get("SSEAlgorithm")),
            "kms_master_key_id" not in sse or key == sse["kms_master_key_id"],
            "kms_master_key_id_suffix" not in sse
            or str(key).endswith(sse["kms_master_key_id_suffix"]),
            "kms_master_key_id_suffix_is_not" not in sse
            or not str(key).endswith(sse["kms_master_key_id_suffix_is_not"]),
        ]
        if not all(checks):
            found.append(f"sse: {facts['sse_rules']!r}, expected {sse!r}")
    return found
