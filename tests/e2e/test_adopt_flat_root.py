"""Issue 11, end to end, variant (a): the seed's flat Terraform root, forgotten with the `removed`
blocks the CLI prints, is adopted into live/prod holding count 41 with nothing replaced
(`adopt_helpers.adopt_and_prove` says how); test_adopt_console.py is variant (b)."""

from __future__ import annotations

import json

import pytest
from adopt_helpers import (
    REGION,
    SEED_ROOT,
    adopt_and_prove,
    counterstack,
    create_lambda_log_group,
    get_visitors,
    put_count,
    teardown,
)

from counterstack.local.provider import provider_override
from counterstack.paths import REPO_ROOT
from counterstack.terragrunt.tree import copy_tree, with_alarm_subscriber

# One variant a module: xdist runs the two on different workers.
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_flat_root_is_forgotten_then_adopted_keeping_count_and_api(
    seed_account, seed_tf, seed_names, package, tmp_path
):
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "main.tf").write_text((SEED_ROOT / "main.tf").read_text())
    if seed_account.endpoint:  # on AWS the root's own provider block, through the default chain
        # fake credentials; seed_tf gives Terraform the account as AWS_ENDPOINT_URL
        (seed / "local_override.tf").write_text(provider_override(None, REGION))
    elif seed_names.mark:  # on an account it shares, what the root makes carries the run's mark
        (seed / "mark_override.tf").write_text(seed_account.provider_override(seed_names.tag_map()))
    tfvars = {"package_path": str(package), **seed_names.tfvars()}
    (seed / "seed.auto.tfvars.json").write_text(json.dumps(tfvars))
    # Prod refuses to plan with nobody to tell its alarms: the copy names someone.
    tree = with_alarm_subscriber(copy_tree(REPO_ROOT, tmp_path / "tree"), "alarms@example.com")
    left: dict = {}
    try:
        seed_tf.ok(seed, "init", "-input=false")
        seed_tf.ok(seed, "apply", "-auto-approve", "-input=false")
        api_id = json.loads(seed_tf.ok(seed, "output", "-json"))["api_id"]["value"]
        create_lambda_log_group(seed_account.client, seed_names)
        assert get_visitors(seed_account, api_id).json() == {"count": 1}  # the seed serves
        put_count(seed_account.client, 41, seed_names)

        # The seed folder was initialised against seed_tf's provider process (a reattached init
        # writes no lock file): adopt's own `terraform show` attaches to it too.
        with seed_tf.environment() as env:
            printed = counterstack("adopt", "--removed-from", str(seed), env=env)
        assert printed.returncode == 0, printed.stderr
        blocks = printed.stdout
        assert blocks.count("removed {") == 9 and "destroy = false" in blocks
        keep = (SEED_ROOT / "main.tf").read_text().split('resource "aws_dynamodb_table"')[0]
        (seed / "main.tf").write_text(keep + "\n" + blocks)
        forget = seed_tf.ok(seed, "apply", "-auto-approve", "-input=false")
        assert "0 destroyed" in forget or "0 to destroy" in forget, forget
        assert seed_tf.ok(seed, "state", "list").strip() == ""
        assert get_visitors(seed_account, api_id).status_code == 200  # forgotten, still serving
        put_count(seed_account.client, 41, seed_names)

        summary = adopt_and_prove(seed_tf, tree, api_id, package, seed_names)
        assert summary.endswith("0 to destroy")
    finally:
        left = teardown(seed_tf, tree / "composed" / "prod", seed_names)
    assert left == {}, f"left behind after destroy: {left}"
