"""Fixtures of the security tests: plans of whole stacks, each made once per run.

The plans are the expensive part (each starts the aws provider several times), so each stack is
planned once per run and shared by every test and xdist worker (`once_per_run`, the pattern of
tests/modules/conftest.py).

Two resources of each stack already exist in the loopback account and are imported by the plan:
the table and the HTTP API. Their ARNs are then known at plan time, so the function's inline
policy and the Lambda permission's source ARN are planned values, checked exactly, instead of
"known after apply". That is the plan of a second deployment, and what a Terragrunt unit sees: its
dependencies' real outputs. Every other resource is planned as a create.
"""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from run_cache import once_per_run

from counterstack.harness.plan import PlanSummary, plan_summary

TABLE = "module.dynamodb.aws_dynamodb_table.this"
API = "module.http_api.aws_apigatewayv2_api.this"
IMPORTS_FILE = "counterstack_imports.tf.json"


def seed_existing(endpoint: str, region: str, *, table: str, api: str) -> dict[str, str]:
    """Create the table and the API in the loopback account; returns import ids by address."""
    session = boto3.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name=region
    )
    session.client("dynamodb", endpoint_url=endpoint).create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    api_id = session.client("apigatewayv2", endpoint_url=endpoint).create_api(
        Name=api, ProtocolType="HTTP"
    )["ApiId"]
    return {TABLE: table, API: api_id}


@pytest.fixture(scope="session")
def stack_plan(
    tmp_path_factory: pytest.TempPathFactory, aws_endpoint: str, plan_provider, run_root: Path
) -> Callable[..., PlanSummary]:
    """`stack_plan(key, make_root, table=, api=, region=, **variables)`: planned once per run.

    `make_root(folder)` writes the root to plan into `folder` and returns it; the table and API
    named are seeded in the loopback account and imported.
    """

    def run(
        key: str,
        make_root: Callable[[Path], Path],
        *,
        table: str,
        api: str,
        region: str,
        **variables: Any,
    ) -> PlanSummary:
        def make() -> PlanSummary:
            tmp = tmp_path_factory.mktemp(key)
            root = make_root(tmp / "src")
            imports = seed_existing(aws_endpoint, region, table=table, api=api)
            blocks = [{"to": address, "id": id_} for address, id_ in imports.items()]
            (root / IMPORTS_FILE).write_text(json.dumps({"import": blocks}, indent=2))
            return plan_summary(
                root,
                tmp / "work",
                endpoint=aws_endpoint,
                provider=plan_provider,
                provider_region=region,
                **variables,
            )

        return once_per_run(run_root, key, make)

    return run
