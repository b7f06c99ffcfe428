"""`--backend-bootstrap` for S3 state with `use_lockfile`: the bucket made ready before `init`.

As Terragrunt's S3 backend does: a missing bucket is created (tagged with `s3_bucket_tags`), then
given what the config does not skip: versioning, default encryption (`bucket_sse_algorithm`,
default `aws:kms`, with `bucket_sse_kms_key_id`), the public access block, a policy that grants the
account root (`RootAccess`) and enforces TLS (`EnforcedTLS`: skip it where the endpoint is plain
http, as the local account's is), and access logging into `accesslogging_bucket_name` (prefix
`TFStateLogs/` unless given, none when given empty). An existing
bucket is brought up to date unless `disable_bucket_update`; an existing encryption key is left as
is. Lock tables (`dynamodb_table`) are not served: state locking here is S3's own lockfile.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, TextIO

import boto3
from botocore.exceptions import BotoCoreError, ClientError

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


def _skip(config: Mapping[str, Any], what: str, prefix: str = "skip_bucket_") -> bool:
    return bool(as_flag(config.get(f"{prefix}{what}", False), f"{prefix}{what}"))


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


def _account_id(config: Mapping[str, Any], endpoint: str) -> str:
    sts = boto3.client(
        "sts",
        region_name=config.get("region"),
        endpoint_url=endpoint,
        aws_access_key_id=config.get("access_key") or "test",
        aws_secret_access_key=config.get("secret_key") or "test",
    )
    return sts.get_caller_identity()["Account"]


def _configure(
    s3: Any,
    bucket: str,
    config: Mapping[str, Any],
    err: TextIO,
    *,
    existed: bool,
    account_id: Callable[[], str],
    logs: bool = False,
) -> None:
    """Every setting the config does not skip, added where the bucket lacks it. The access-log
    bucket has skips of its own (`skip_accesslogging_bucket_*`) and is encrypted with AES256
    (S3 cannot deliver logs to a KMS-encrypted bucket)."""
    prefix = "skip_accesslogging_bucket_" if logs else "skip_bucket_"
    if not _skip(config, "versioning"):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    if not _skip(config, "ssencryption", prefix) and not _encryption(s3, bucket):
        if existed:
            print(f"Encryption is not enabled on the S3 remote state bucket {bucket}", file=err)
        default: dict[str, Any] = {"SSEAlgorithm": config.get("bucket_sse_algorithm") or "aws:kms"}
        if config.get("bucket_sse_kms_key_id"):
            default = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": config["bucket_sse_kms_key_id"]}
        if logs:
            default = {"SSEAlgorithm": "AES256"}
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": default}]
            },
        )
    if not _skip(config, "public_access_blocking", prefix):
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
    resources = [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    statements = []
    if not logs and not _skip(config, "root_access"):
        root = f"arn:aws:iam::{account_id()}:root"
        statements.append(
            {
                "Sid": "RootAccess",
                "Effect": "Allow",
                "Principal": {"AWS": [root]},
                "Action": "s3:*",
                "Resource": resources,
            }
        )
    if not _skip(config, "enforced_tls", prefix):
        statements.append(
            {
                "Sid": "EnforcedTLS",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": resources,
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
    """Make the state bucket ready; True when it was created. S3's refusals come back as one
    CounterStackError naming the bucket."""
    try:
        validate(config)
        s3 = s3_client(config, endpoint)
        bucket, region = config["bucket"], config["region"]
        created = False
        if not _exists(s3, bucket):
            if fail_on_creation:
                raise CounterStackError(
                    f"S3 bucket {bucket} does not exist and creating it is refused"
                )
            print(f"Creating S3 bucket {bucket}", file=err)
            _create(s3, bucket, region, config.get("s3_bucket_tags"))
            created = True
        elif not update_existing or as_flag(
            config.get("disable_bucket_update"), "disable_bucket_update"
        ):
            return False
        account_id = lru_cache(maxsize=1)(lambda: _account_id(config, endpoint))
        _configure(s3, bucket, config, err, existed=not created, account_id=account_id)
        logs = config.get("accesslogging_bucket_name")
        if logs and not _skip(config, "accesslogging"):
            logs_existed = _exists(s3, logs)
            if not logs_existed:
                _create(s3, logs, region, config.get("accesslogging_bucket_tags"))
            if not _skip(config, "acl", "skip_accesslogging_bucket_"):
                s3.put_bucket_acl(Bucket=logs, ACL="log-delivery-write")
            # Logging first: the local account's S3 (moto) cannot read a `"Principal": "*"` policy
            # on the target bucket when it checks log delivery.
            s3.put_bucket_logging(**logging_input(config))
            _configure(
                s3, logs, config, err, existed=logs_existed, account_id=account_id, logs=True
            )
        return created
    except (BotoCoreError, ClientError) as error:
        raise CounterStackError(
            f"bootstrapping S3 bucket {config.get('bucket')}: {error}"
        ) from None


def bucket_exists(config: Mapping[str, Any], endpoint: str) -> bool:
    return _exists(s3_client(config, endpoint), config["bucket"])
