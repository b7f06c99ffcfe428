"""The seed's stack made the seed's two ways, and live/prod composed to adopt it.

`build_by_hand` is the console way (boto3, console-style names); `tests/e2e/seed_root` is the flat
Terraform root. `compose_prod` turns a copy of the tree's live/prod, after `counterstack adopt
--write`, into one Terraform root with the root-level import blocks, pointed at the test's account.
The names come from `SeedNames`: the seed's own on a local account of the test's own, `ct-...`
names on `--target aws`, so the nightly run imports real objects with the ids adopt writes. There
the objects are made with the mark of a test run (`harness.mark`), so the nightly sweep takes
them if a run dies; once adopted they carry the live tree's tags instead, so the test's cleanup
marks what is left under its own prefix again before it sweeps.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from terraform_runner import TerraformRunner

from counterstack.adopt.plan_gate import gate
from counterstack.harness.inventory import list_resources
from counterstack.harness.mark import mark, tag_list, tag_map
from counterstack.harness.sweep import sweep
from counterstack.harness.target import Target, selected_target_name
from counterstack.local.client import RemoteAccount
from counterstack.local.provider import default_tags_lines, provider_override
from counterstack.seed import LAMBDA_TRUST_POLICY
from counterstack.terraform_cli import terraform_env
from counterstack.terragrunt.compose import compose_environment, compose_imports

SEED_ROOT = Path(__file__).with_name("seed_root")
REGION = "eu-west-1"  # live/prod/env.hcl
TABLE, FUNCTION, API = "visitor-counter", "visitorCounter", "visitor-counter"
ORIGINS = ["https://selimcelem.com", "https://www.selimcelem.com"]
SEED_PREFIX = "visitor"  # every seed name starts with it (visitor-counter, visitorCounter...)
TIMEOUT = 300
# What the root terragrunt.hcl's generated provider tags everything with in prod.
PROD_DEFAULT_TAGS = {
    "project": "visitor-counter",
    "environment": "prod",
    "managed-by": "terragrunt",
}


def counterstack(*args: str, env: Mapping[str, str] = {}) -> subprocess.CompletedProcess:
    """The CLI as a user runs it: its own process, its exit code, its stdout and stderr."""
    return subprocess.run(
        [sys.executable, "-m", "counterstack.cli", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, **terraform_env(), **env},
    )


@dataclass(frozen=True)
class SeedNames:
    """The names the seed's stack is built and adopted under, and what its cleanup may touch."""

    table: str = TABLE
    function: str = FUNCTION
    api: str = API
    prefix: str = SEED_PREFIX  # every name starts with it: the sweep of a failed run's leftovers
    console_policy: str = "AWSLambdaBasicExecutionRole-"  # the console's managed policy names
    mark: str | None = None  # the test run's mark on what it builds (on an account it shares)

    @classmethod
    def prefixed(cls, prefix: str) -> SeedNames:
        """Names of the test's own (`ct-...`), for an account the test does not own: marked."""
        return cls(
            f"{prefix}-table", f"{prefix}-fn", f"{prefix}-api", prefix, f"{prefix}-basic-", prefix
        )

    def tag_map(self) -> dict[str, str]:
        """The mark as tags (none for the seed's own names, built as its owner built them)."""
        return tag_map(self.mark) if self.mark else {}

    def tag_list(self) -> list[dict[str, str]]:
        return tag_list(self.mark) if self.mark else []

    def tfvars(self) -> dict[str, str]:
        """The seed root's name variables."""
        return {"table_name": self.table, "function_name": self.function, "api_name": self.api}


SEED = SeedNames()


def use_names(tree: Path, names: SeedNames) -> None:
    """The copy's live/prod/env.hcl names the stack under test (the seed's names by default)."""
    env_hcl = tree / "live" / "prod" / "env.hcl"
    text = env_hcl.read_text()
    for key, value in (
        ("table_name", names.table),
        ("function_name", names.function),
        ("api_name", names.api),
    ):
        text, found = re.subn(rf'(?m)^(\s*{key}\s*=\s*)"[^"]*"', rf'\g<1>"{value}"', text)
        assert found == 1, f"live/prod/env.hcl sets {key} once"
    env_hcl.write_text(text)


def endpoint_args(target: Target) -> list[str]:
    """`--endpoint URL` for a local account; nothing on AWS (the default chain, which honours
    AWS_ENDPOINT_URL)."""
    return ["--endpoint", target.endpoint] if target.endpoint else []


def put_count(
    client: Any,
    count: int,
    names: SeedNames = SEED,
    key: str = "visitors",
    attribute: str = "count",
) -> None:
    """The table holds `count` in item `id = key`, `attribute`, and nothing else: a stack made by
    hand may have counted anywhere (the handler's default place is visitors, count)."""
    dynamodb = client("dynamodb")
    for item in dynamodb.scan(TableName=names.table, ConsistentRead=True)["Items"]:
        dynamodb.delete_item(TableName=names.table, Key={"id": item["id"]})
    item = {"id": {"S": key}, attribute: {"N": str(count)}}
    dynamodb.put_item(TableName=names.table, Item=item)


def create_lambda_log_group(client: Any, names: SeedNames = SEED) -> None:
    """The log group Lambda makes on a first invoke (no retention); the local runtime does not."""
    client("logs").create_log_group(
        logGroupName=f"/aws/lambda/{names.function}", tags=names.tag_map()
    )


@dataclass(frozen=True)
class ByHand:
    api_id: str
    role_name: str
    managed_policy_arn: str
    statement_id: str
    source_arn: str


def build_by_hand(client: Any, package: Path, names: SeedNames = SEED) -> ByHand:
    """The seed's stack as the consoles make it: console role names, ids and permission form."""
    dynamodb, iam, lam, apigw = (client(s) for s in ("dynamodb", "iam", "lambda", "apigatewayv2"))
    dynamodb.create_table(
        TableName=names.table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=names.tag_list(),
    )
    role_name = f"{names.function}-role-{uuid.uuid4().hex[:8]}"
    role = iam.create_role(
        RoleName=role_name,
        Path="/service-role/",
        AssumeRolePolicyDocument=LAMBDA_TRUST_POLICY,
        Tags=names.tag_list(),
    )["Role"]
    # The Lambda console attaches its own basic-execution policy (AWS's managed
    # AWSLambdaBasicExecutionRole where that exists; the local account has no AWS-managed set).
    basic = iam.create_policy(
        PolicyName=f"{names.console_policy}{uuid.uuid4()}",
        Path="/service-role/",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": [
                            "logs:CreateLogGroup",
                            "logs:CreateLogStream",
                            "logs:PutLogEvents",
                        ],
                        "Resource": "*",
                    }
                ],
            }
        ),
    )["Policy"]
    iam.attach_role_policy(RoleName=role_name, PolicyArn=basic["Arn"])
    table_arn = dynamodb.describe_table(TableName=names.table)["Table"]["TableArn"]
    iam.put_role_policy(
        RoleName=role_name,
        PolicyName=f"{names.function}TableAccess",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "dynamodb:UpdateItem", "Resource": table_arn}
                ],
            }
        ),
    )
    function = lam.create_function(
        FunctionName=names.function,
        Runtime="python3.12",
        Role=role["Arn"],
        Handler="visitor_counter.handler.handler",
        Code={"ZipFile": Path(package).read_bytes()},
        Environment={"Variables": {"TABLE_NAME": names.table}},
        Tags=names.tag_map(),
    )
    create_lambda_log_group(client, names)
    api = apigw.create_api(
        Name=names.api,
        ProtocolType="HTTP",
        CorsConfiguration={"AllowOrigins": ORIGINS, "AllowMethods": ["GET"]},
        Tags=names.tag_map(),
    )
    integration = apigw.create_integration(
        ApiId=api["ApiId"],
        IntegrationType="AWS_PROXY",
        IntegrationUri=function["FunctionArn"],  # the console's form: the function's ARN
        PayloadFormatVersion="2.0",
    )
    apigw.create_route(
        ApiId=api["ApiId"],
        RouteKey="GET /visitors",
        Target=f"integrations/{integration['IntegrationId']}",
    )
    apigw.create_stage(ApiId=api["ApiId"], StageName="prod", AutoDeploy=True)
    account = client("sts").get_caller_identity()["Account"]
    source_arn = f"arn:aws:execute-api:{REGION}:{account}:{api['ApiId']}/*/*/visitors"
    statement_id = f"lambda-{uuid.uuid4()}"
    lam.add_permission(
        FunctionName=names.function,
        StatementId=statement_id,
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=source_arn,
    )
    return ByHand(api["ApiId"], role_name, basic["Arn"], statement_id, source_arn)


def compose_prod(tree: Path, target: Target, package: Path) -> Path:
    """live/prod of `tree` as one Terraform root (adopted inputs, root import blocks), pointed at
    the target's account."""
    root = tree / "composed" / "prod"  # ../../modules is the tree's modules/
    root.mkdir(parents=True, exist_ok=True)
    env_dir = tree / "live" / "prod"
    config = compose_environment(env_dir, locals_values={"package_path": str(package)}, root=tree)
    imports = compose_imports(env_dir, root=tree)
    if imports:
        config["import"] = imports
    (root / "main.tf.json").write_text(json.dumps(config, indent=2))
    (root / "provider.tf").write_text(seed_provider(target, PROD_DEFAULT_TAGS))
    return root


def seed_provider(target: Target, tags: dict[str, str] | None = None) -> str:
    """The provider block of a root the test applies: fake credentials for an account at an
    endpoint (the TerraformRunner gives it as AWS_ENDPOINT_URL), or the default chain's, in the
    seed's region."""
    if target.endpoint:
        return provider_override(None, REGION, tags)
    lines = default_tags_lines(tags) if tags else []
    return "\n".join(['provider "aws" {', f'  region = "{REGION}"', *lines, "}"]) + "\n"


def switch_off_deletion_protection(root: Path) -> None:
    """The test's own override: prod keeps deletion protection, a test stack must go away."""
    override = {"module": {"dynamodb": {"deletion_protection": False}}}
    (root / "teardown_override.tf.json").write_text(json.dumps(override))


def remove_console_policies(client: Any, names: SeedNames = SEED) -> None:
    """The console's basic-execution policies: the modules leave them alone, so the test goes."""
    iam = client("iam")
    for policy in iam.list_policies(Scope="Local")["Policies"]:
        if policy["PolicyName"].startswith(names.console_policy):
            entities = iam.list_entities_for_policy(PolicyArn=policy["Arn"])
            for role in entities["PolicyRoles"]:
                iam.detach_role_policy(RoleName=role["RoleName"], PolicyArn=policy["Arn"])
            iam.delete_policy(PolicyArn=policy["Arn"])


def mark_again(client: Any, names: SeedNames = SEED) -> None:
    """Adopted objects carry the live tree's tags, not the mark: every object named with the
    test's prefix (its own: a unique `ct-` prefix, or the seed's names on its own account) gets
    it back, so the sweep takes it."""
    for resource in list_resources(client, names.prefix):
        if resource.kind == "kms alias" and not resource.id:
            continue
        mark(client, resource, names.mark or names.prefix)


def remove_leftovers(client: Any, names: SeedNames = SEED) -> None:
    """Anything a failed run left: console policies, then every object named with the prefix,
    marked again as the test's own."""
    remove_console_policies(client, names)
    try:
        client("dynamodb").update_table(TableName=names.table, DeletionProtectionEnabled=False)
    except client("dynamodb").exceptions.ResourceNotFoundException:
        pass
    mark_again(client, names)
    sweep(client, names.prefix, None, dry_run=False)


def inventory(account: Any) -> dict[str, list[str]]:
    """Every object of the stack's kinds in the whole (test-owned) account, by kind."""
    return {kind: names for kind, names in account.inventory(REGION).items() if names}


def left_in(target: Target, names: SeedNames) -> dict[str, list[str]]:
    """What is left: the whole (test-owned) local account, or on AWS what carries the names."""
    if target.endpoint:
        return inventory(RemoteAccount(target.endpoint, REGION))
    found: dict[str, list[str]] = {}
    for resource in list_resources(target.client, names.prefix):
        found.setdefault(resource.kind, []).append(resource.name)
    return found


def on_aws(config: pytest.Config) -> bool:
    return selected_target_name(config.getoption("--target")) == "aws"


# --- the proof both adoption variants end with ------------------------------------------------


def get_visitors(target: Target, api_id: str) -> requests.Response:
    url = f"https://{api_id}.execute-api.{REGION}.amazonaws.com/prod/visitors"
    return requests.get(target.reachable_url(url), timeout=30)


def adopt_and_prove(
    tf: TerraformRunner, tree: Path, api_id: str, package: Path, names: SeedNames = SEED
) -> str:
    """The proof both adoption variants end with, on a copy of the tree: `counterstack adopt
    --write`, live/prod composed as the live tests compose it (the provider pointed at the test's
    account), the plan gate, apply; GET /visitors on the SAME API id answers 42; a `--write`
    brings the imports up to date, a re-plan shows no changes and another `--write` changes no
    file. Returns the plan summary;
    prod's deletion protection is switched off in the composed root's own override after."""
    target = tf.target
    env_dir = tree / "live" / "prod"
    use_names(tree, names)
    # The dry run plans the adoption in a scratch copy: the in-place changes, with their values.
    listed = counterstack("adopt", str(env_dir), *endpoint_args(target), "--json", "--plan")
    assert listed.returncode == 0, listed.stderr
    adoption = json.loads(listed.stdout)
    assert not list(env_dir.rglob("imports.tf")), "the dry run wrote files"
    written = counterstack("adopt", str(env_dir), *endpoint_args(target), "--write")
    assert written.returncode == 0, written.stderr
    root = compose_prod(tree, target, package)
    applied = False
    try:
        tf.ok(root, "init", "-input=false")
        tf.ok(root, "plan", "-input=false", "-out=adopt.tfplan")
        (root / "plan.json").write_text(tf.ok(root, "show", "-json", "adopt.tfplan"))
        report = gate(json.loads((root / "plan.json").read_text()))
        imported = {
            f"module.{row['unit'].replace('-', '_')}.{row['address']}"
            for row in adoption["resources"]
            if row["action"] == "import"
        }
        assert set(report.imports) == imported
        created = {
            f"module.{row['unit'].replace('-', '_')}.{row['address']}"
            for row in adoption["resources"]
            if row["action"] == "create"
        }
        assert set(report.creates) == created  # only what did not exist is added
        previewed = adoption["plan"]
        assert previewed["summary"] == report.summary
        listed_changes = {
            (change["address"], change["attribute"]) for change in previewed["changes"]
        }
        assert listed_changes == {
            (address, name) for address, names in report.updates.items() for name in names
        }, "the dry run listed other in-place changes than the apply's plan makes"
        print(
            "\ndry run's in-place changes:\n"
            + "\n".join(
                f"  ~ {c['address']}: {c['attribute']}: {c['before']} -> {c['after']}"
                for c in previewed["changes"]
            )
        )
        checked = counterstack("adopt", "--check-plan", str(root / "plan.json"))
        assert checked.returncode == 0, checked.stderr
        assert checked.stdout.splitlines()[0] == report.summary
        print(f"\nadoption plan: {report.summary}\n" + "\n".join(report.lines()[1:]))

        tf.ok(root, "apply", "-input=false", "adopt.tfplan")
        applied = True
        response = get_visitors(target, api_id)
        assert response.status_code == 200, response.text
        assert response.json() == {"count": 42}
        # The apply created what did not exist: a --write now finds it and adds its import
        # blocks (no-ops for objects in the state with those ids); then nothing changes.
        updated = counterstack("adopt", str(env_dir), *endpoint_args(target), "--write")
        assert updated.returncode == 0, updated.stderr
        compose_prod(tree, target, package)
        replan = tf(root, "plan", "-detailed-exitcode", "-input=false")
        assert replan.returncode == 0, f"re-plan after adoption shows changes:\n{replan.stdout}"

        before = {p: p.read_text() for p in env_dir.rglob("*") if p.suffix in (".tf", ".hcl")}
        again = counterstack("adopt", str(env_dir), *endpoint_args(target), "--write")
        assert again.returncode == 0, again.stderr
        after = {p: p.read_text() for p in env_dir.rglob("*") if p.suffix in (".tf", ".hcl")}
        assert after == before, "re-running adopt --write with nothing changed changed files"
        assert "nothing changed" in again.stderr
        return report.summary
    finally:
        if applied:  # the test's own override: prod's protection off, so the stack can go
            switch_off_deletion_protection(root)
            tf.ok(root, "apply", "-auto-approve", "-input=false")
        elif (root / "terraform.tfstate").is_file():  # a failed apply may have turned it on
            switch_off_deletion_protection(root)
            tf(root, "apply", "-auto-approve", "-input=false")


def teardown(tf: TerraformRunner, root: Path | None, names: SeedNames = SEED) -> dict:
    """Destroy the adopted stack, clean what it leaves alone; return what the destroy left."""
    target = tf.target
    left: dict = {}
    try:
        remove_console_policies(target.client, names)  # left alone by the modules; blocks the role
        if root is not None and (root / ".terraform").is_dir():
            tf.ok(root, "destroy", "-auto-approve", "-input=false")
    finally:
        left = left_in(target, names)
        remove_leftovers(target.client, names)  # what a failed run left: the next starts clean
    return left
