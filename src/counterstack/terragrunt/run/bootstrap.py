"""`--backend-bootstrap` for S3 state with `use_lockfile`: the bucket made ready before `init`.

As Terragrunt's S3 backend does: a missing bucket is created (tagged with `s3_bucket_tags`), then
given what the config does not skip: versioning, default encryption (`bucket_sse_algorithm`,
default `aws:kms`, with `bucket_sse_kms_key_id`), the public access block, a policy that enforces
TLS (`EnforcedTLS`) and grants the account root (`RootAccess`), and access logging into
`accesslogging_bucket_name` (prefix `TFStateLogs/` unless given, none when given empty). An existing
bucket is brought up to date unless `disable_bucket_update`; an existing encryption key is left as
is. Lock tables (`dynamodb_table`) are not served: state locking here is S3's own lockfile.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TextIO

import boto3
from botocore.exceptions import ClientError

from counterstack.errors import CounterStackError
from counterstack.terragrunt.unit import as_flag

DEFAULT_LOG_PREFIX = "TFStateLogs/"
REQUIRED = ("region", "bucket", "key")


class MissingRequiredS3RemoteStateConfig(CounterStackError):
    """remote_state's S3 config lacks a setting the bucket cannot be made without."""


def validate(config: Mapping[str, Any]) -> None:
    for key in REQUIRED:
        if not config.get(key):
            raise MissingRequiredS3RemoteStateConfig(
                f"Missing required S3 remote state configuration {key}"
            )
    if config.get("dynamodb_table") or config.get("lock_table"):
        raise CounterStackError(
            "remote_state: DynamoDB lock tables are not served by this runner; "
            "lock with use_lockfile = true"
        )


def logging_input(config: Mapping[str, Any]) -> dict[str, Any]:
    """PutBucketLogging's arguments for the state bucket."""
    enabled: dict[str, Any] = {"TargetBucket": config["accesslogging_bucket_name"]}
    prefix = config.get("accesslogging_target_prefix", DEFAULT_LOG_PREFIX)
    if prefix:
        enabled["TargetPrefix"] = prefix
    if config.get("accesslogging_target_object_partition_date_source"):
        enabled["TargetObjectKeyFormat"] = {
            "PartitionedPrefix": {
                "PartitionDateSource": config["accesslogging_target_object_partition_date_source"]
            }
        }
    return {"Bucket": config["bucket"], "BucketLoggingStatus": {"LoggingEnabled": enabled}}


def s3_client(config: Mapping[str, Any], endpoint: str) -> Any:
    return boto3.client(
        "s3",
        region_name=config.get("region"),
        endpoint_url=endpoint,
        aws_access_key_id=config.get("access_key") or "test",
        aws_secret_access_key=config.get("secret_key") or "test",
    )


def _skip(config: Mapping[str, Any], what: str) -> bool:
    return bool(as_flag(config.get(f"skip_bucket_{what}", False), f"skip_bucket_{what}"))


def _exists(s3: Any, bucket: str) -> bool:
    try:
        s3.head_bucket(Bucket=bucket)
        return True
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchBucket", "NotFound"):
            return False
        raise


def _create(s3: Any, bucket: str, region: str, tags: Mapping[str, str] | None) -> None:
    args: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        args["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**args)
    if tags:
        s3.put_bucket_tagging(
            Bucket=bucket, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}
        )


def _encryption(s3: Any, bucket: str) -> list[dict[str, Any]]:
    try:
        found = s3.get_bucket_encryption(Bucket=bucket)
    except ClientError:
        return []
    return found.get("ServerSideEncryptionConfiguration", {}).get("Rules", [])


def _policy(s3: Any, bucket: str) -> dict[str, Any] | None:
    try:
        return json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError:
        return None


def _configure(s3: Any, bucket: str, config: Mapping[str, Any], err: TextIO) -> None:
    """Every setting the config does not skip, added where the bucket lacks it."""
    if not _skip(config, "versioning"):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    if not _skip(config, "ssencryption") and not _encryption(s3, bucket):
        print(f"Encryption is not enabled on the S3 remote state bucket {bucket}", file=err)
        default: dict[str, Any] = {"SSEAlgorithm": config.get("bucket_sse_algorithm") or "aws:kms"}
        if config.get("bucket_sse_kms_key_id"):
            default = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": config["bucket_sse_kms_key_id"]}
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": default}]
            },
        )
    if not _skip(config, "public_access_blocking"):
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration=dict.fromkeys(
                (
                    "BlockPublicAcls",
                    "IgnorePublicAcls",
                    "BlockPublicPolicy",
                    "RestrictPublicBuckets",
                ),
                True,
            ),
        )
    statements = []
    if not _skip(config, "enforced_tls"):
        statements.append(
            {
                "Sid": "EnforcedTLS",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        )
    if statements and _policy(s3, bucket) is None:
        s3.put_bucket_policy(
            Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements})
        )


def bootstrap(
    config: Mapping[str, Any],
    endpoint: str,
    err: TextIO,
    *,
    update_existing: bool = True,
    fail_on_creation: bool = False,
) -> bool:
    """Make the state bucket ready; True when it was created."""
    validate(config)
    s3 = s3_client(config, endpoint)
    bucket, region = config["bucket"], config["region"]
    created = False
    if not _exists(s3, bucket):
        if fail_on_creation:
            raise CounterStackError(f"S3 bucket {bucket} does not exist and creating it is refused")
        print(f"Creating S3 bucket {bucket}", file=err)
        _create(s3, bucket, region, config.get("s3_bucket_tags"))
        created = True
    elif not update_existing or as_flag(
        config.get("disable_bucket_update"), "disable_bucket_update"
    ):
        return False
    _configure(s3, bucket, config, err)
    logs = config.get("accesslogging_bucket_name")
    if logs and not _skip(config, "accesslogging"):
        if not _exists(s3, logs):
            _create(s3, logs, region, config.get("accesslogging_bucket_tags"))
        _configure(s3, logs, config, err)
        s3.put_bucket_logging(**logging_input(config))
    return created


def bucket_exists(config: Mapping[str, Any], endpoint: str) -> bool:
    return _exists(s3_client(config, endpoint), config["bucket"])
