"""Promotion on a local account, unit by unit with per-unit states, as a user's promotion runs.

Every command is one a user or the workflow types: `terragrunt backend bootstrap --all`, then
`counterstack promote run|plan`, then the staged recipe's blocks read from docs/terragrunt.md.
Where no `terragrunt` binary is installed, a `terragrunt` on PATH runs the project's runner.

- (a) An empty account becomes live dev and prod through `promote` alone: each round's plans
  shown, no apply warns "Ignoring variable when applying a saved plan", no deployed value a mock.
- (b) Promoted again, every unit of both plans 0 to add, change or destroy.
- (c) Prod's function renamed while a poller GETs /visitors every 0.2 s: the promotion is refused
  before anything is applied, and the staged recipe then moves it with no answer other than 200.

The test copy of the tree sets what these proofs need, and only that: prod's alarms tell
REHEARSAL_SUBSCRIBER (prod refuses to plan while nobody is told), and in (c) a new function name.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from poller import Poller

from counterstack.harness.target import Target, local_target
from counterstack.paths import REPO_ROOT
from counterstack.promote.rounds import STAGED_RECIPE
from counterstack.terragrunt.run.guard import ENDPOINT_SWITCH
from counterstack.terragrunt.tree import copy_tree, with_alarm_subscriber

pytestmark = [
    pytest.mark.live,
    pytest.mark.slow,
    pytest.mark.local_only(reason="proves promotion on the local account before AWS sees it"),
    pytest.mark.timeout(1800),  # (a)'s fixture promotes two environments, 8 rounds in all
]

REGION = "eu-west-1"
REHEARSAL_SUBSCRIBER = "rehearsal@example.com"  # the local account delivers no mail
ENVIRONMENTS = ("dev", "prod")
IGNORED_VARIABLE = "Ignoring variable when applying a saved plan"
RECIPE = "## Changing what another unit reads"
RENAMED = "visitorCounter-renamed"
STATE_BUCKET = "counterstack-tfstate-123456789012"  # the local account's, as the root names it
PATH = os.environ.get("PATH", "")
SHIM = '#!/bin/sh\nexec "{python}" -m counterstack.terragrunt.run "$@"\n'


@dataclass
class Promoted:
    tree: Path
    target: Target
    env: dict[str, str]
    logs: dict[str, str] = field(default_factory=dict)

    def run(self, command: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", "-euo", "pipefail", "-c", command],
            cwd=cwd or self.tree,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=1200,
        )

    def client(self, service: str):
        return self.target.client(service)

    def url(self, name: str) -> str:
        shown = self.run(
            f"terragrunt output -raw invoke_url --working-dir live/{name}/http-api "
            "--tf-forward-stdout"
        )
        assert shown.returncode == 0, shown.stderr[-2000:]
        return self.target.reachable_url(shown.stdout.strip().rstrip("/") + "/visitors")


@pytest.fixture(scope="module")
def promoted(tmp_path_factory) -> Promoted:
    """dev and prod promoted on an empty local account, each through its bootstrap and rounds."""
    temp = tmp_path_factory.mktemp("promotion")
    tree = with_alarm_subscriber(copy_tree(REPO_ROOT, temp / "tree"), REHEARSAL_SUBSCRIBER)
    subprocess.run(["git", "init", "-q", str(tree)], check=True)  # get_repo_root() is the copy
    bin_dir = temp / "bin"
    bin_dir.mkdir()
    if not shutil.which("terragrunt"):
        (bin_dir / "terragrunt").write_text(SHIM.format(python=sys.executable))
        (bin_dir / "terragrunt").chmod(0o755)
    with local_target(region=REGION) as target:
        env = {
            **os.environ,
            # The root's switch to the local account (providers, backend, guards), and the endpoint
            # the recipe's `aws` commands take.
            ENDPOINT_SWITCH: str(target.endpoint),
            "AWS_ENDPOINT_URL": str(target.endpoint),
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": REGION,
            "PATH": os.pathsep.join(
                [str(bin_dir), str(Path(sys.executable).parent), os.environ["PATH"]]
            ),
        }
        state = Promoted(tree, target, env)
        # The plan role never bootstraps: before the deploy role's step, a plan stops, bucketless.
        refused = state.run("counterstack promote plan live/dev --out-dir plans/unbootstrapped")
        assert refused.returncode != 0
        assert state.client("s3").list_buckets()["Buckets"] == []
        for name in ENVIRONMENTS:
            done = state.run(
                f"{{ cd live/{name} && terragrunt backend bootstrap --all && cd ../.. && "
                f"counterstack promote run live/{name} --out-dir plans/{name} --auto-approve; "
                "} 2>&1"
            )
            state.logs[name] = done.stdout
            assert done.returncode == 0, done.stdout[-4000:]
        yield state


def test_a_an_empty_account_becomes_dev_and_prod_through_promote_alone(promoted):
    lam, api, watch = (promoted.client(s) for s in ("lambda", "apigatewayv2", "cloudwatch"))
    for name in ENVIRONMENTS:
        log, plans = promoted.logs[name], promoted.tree / "plans" / name
        rounds = sorted(p.name for p in plans.iterdir())
        # One round per wave: the table, the function, the API, the alarms; each shown.
        assert rounds == ["round-1", "round-2", "round-3", "round-4"], name
        for number, shown_then_applied in enumerate(log.split(f"==> {name} round ")[1:], 1):
            review = shown_then_applied.find(f"## Plan of live/{name}:")
            assert -1 < review < shown_then_applied.find("==> applied the saved plans"), number
        assert IGNORED_VARIABLE not in log, name
        shown = [p for p in plans.glob("round-*/*.json") if p.name != "round.json"]
        # Each unit planned once, in the round after what it reads was applied.
        assert sorted(p.stem for p in shown) == ["alarms", "dynamodb", "http-api", "lambda"]
        for plan in shown:
            assert "mock" not in plan.read_text(), plan
        function = f"visitorCounter-{name}" if name == "dev" else "visitorCounter"
        table = f"visitor-counter-{name}" if name == "dev" else "visitor-counter"
        variables = lam.get_function_configuration(FunctionName=function)["Environment"]
        assert variables["Variables"]["TABLE_NAME"] == table
        apis = [a for a in api.get_apis()["Items"] if "mock" not in a["Name"]]
        uris = [
            i["IntegrationUri"]
            for a in apis
            for i in api.get_integrations(ApiId=a["ApiId"])["Items"]
            if f":function:{function}/" in i["IntegrationUri"]
        ]
        assert len(uris) == 1, (name, uris)
        alarms = watch.describe_alarms()["MetricAlarms"]
        dimensions = [d["Value"] for a in alarms for d in a.get("Dimensions", [])]
        assert function in dimensions and not [d for d in dimensions if "mock" in d]
        bucket = promoted.client("s3").list_objects_v2(
            Bucket=f"counterstack-tfstate-123456789012-{name}"
        )
        assert sorted(o["Key"] for o in bucket["Contents"]) == [
            f"live/{name}/{unit}/terraform.tfstate"
            for unit in ("alarms", "dynamodb", "http-api", "lambda")
        ]
        answer = requests.get(promoted.url(name), timeout=10)
        assert (answer.status_code, answer.json()) == (200, {"count": 1}), name


def test_b_promoted_again_every_unit_plans_no_change(promoted):
    for name in ENVIRONMENTS:
        again = promoted.run(f"counterstack promote plan live/{name} --out-dir plans/{name}-again")
        assert again.returncode == 0, again.stderr[-3000:]
        table = re.findall(r"^\| (\S+) \| (.+) \|$", again.stdout, re.MULTILINE)
        assert table[1:] == [
            (unit, "0 to add, 0 to change, 0 to destroy")
            for unit in ("dynamodb", "lambda", "http-api", "alarms")
        ], name
        assert "next round" not in again.stdout


def recipe_blocks() -> list[str]:
    """The ```bash blocks of the staged recipe in docs/terragrunt.md, in order."""
    text = (REPO_ROOT / "docs" / "terragrunt.md").read_text()
    section = text.split(RECIPE, 1)[1].split("\n## ", 1)[0]
    return [block for block in re.findall(r"```bash\n(.*?)```", section, re.DOTALL)]


def test_c_a_renamed_function_is_refused_then_staged_without_a_failed_answer(promoted):
    assert STAGED_RECIPE.endswith("#" + RECIPE[3:].lower().replace(" ", "-"))
    lam = promoted.client("lambda")
    env_hcl = promoted.tree / "live" / "prod" / "env.hcl"
    with Poller(promoted.url("prod")) as poller:
        env_hcl.write_text(env_hcl.read_text().replace('"visitorCounter"', f'"{RENAMED}"', 1))
        refused = promoted.run("counterstack promote plan live/prod --out-dir plans/rename")
        assert refused.returncode == 2
        line = refused.stderr.strip().splitlines()[-1]
        assert "refused: lambda destroys or replaces" in line and STAGED_RECIPE in line
        assert "function_name" in line and "http-api" in line
        assert lam.get_function(FunctionName="visitorCounter")  # nothing applied
        names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
        assert RENAMED not in names
        # The person who reads and approves each round: --auto-approve stands in for them.
        for block in recipe_blocks():
            block = block.replace("promote run live/prod", "promote run --auto-approve live/prod")
            done = promoted.run(block + " 2>&1")
            assert done.returncode == 0, (block, done.stdout[-4000:])
            assert IGNORED_VARIABLE not in done.stdout
    print(f"poller: {poller.answered} answers, {len(poller.failures)} not 200: {poller.failures}")
    assert poller.answered > 50
    assert poller.failures == []
    names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    assert RENAMED in names and "visitorCounter" not in names
    count = requests.get(promoted.url("prod"), timeout=10).json()["count"]
    assert count > poller.answered  # the same table: the count went on
