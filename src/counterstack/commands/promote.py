"""`counterstack promote plan|apply|rehearse`: prod changes only through a reviewed, saved plan.

`plan` writes each unit's saved plan and its JSON into --out-dir, prints the review (and appends
it to the GitHub job summary), and fails when a protected resource would be destroyed or replaced
unless --allow-replace says so. `apply` applies exactly those saved plans, after the same check.
`rehearse` runs both for dev and then prod against a local account, with the compose runner: the
flow .ci/run exercises on every change. It rehearses a copy of the tree whose prod alarms tell
REHEARSAL_SUBSCRIBER: the real prod refuses to plan while nobody is to be told.
"""

import argparse
import os
import tempfile
from pathlib import Path

from counterstack.credentials import DEFAULT_REGION
from counterstack.errors import CounterStackError
from counterstack.harness.target import local_target
from counterstack.paths import REPO_ROOT
from counterstack.plan_json import load_plan
from counterstack.promote import compose_runner, terragrunt_runner
from counterstack.promote.environment import Environment, read_environment, require_account
from counterstack.promote.review import refuse_unless_allowed, review_unit, summary_markdown
from counterstack.terragrunt.tree import copy_tree, with_alarm_subscriber

RUNNERS = {"terragrunt": terragrunt_runner, "compose": compose_runner}
REHEARSAL_SUBSCRIBER = "rehearsal@example.com"  # the local account delivers no mail
SUMMARY_FILE = "summary.md"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "promote",
        help="plan an environment into saved plans, review them, apply exactly those plans",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, help_text in (
        ("plan", "save every unit's plan in --out-dir and print the review (exit 2 if refused)"),
        ("apply", "apply the saved plans in --out-dir, never a fresh plan"),
    ):
        sub = actions.add_parser(action, help=help_text)
        sub.add_argument("env_dir", type=Path, metavar="ENV_DIR", help="live/<env> of a checkout")
        sub.add_argument("--out-dir", type=Path, required=True, help="where the plans are kept")
        sub.add_argument("--runner", choices=sorted(RUNNERS), default="terragrunt")
        sub.add_argument(
            "--allow-replace",
            action="store_true",
            help="the plan may destroy or replace the table, the API or its stage (intended)",
        )
        sub.set_defaults(func=run_plan if action == "plan" else run_apply)
    rehearse = actions.add_parser(
        "rehearse", help="plan, review and apply dev then prod on a local account (compose runner)"
    )
    rehearse.add_argument("--out-dir", type=Path, help="keep the plans here (default: a temp dir)")
    rehearse.set_defaults(func=run_rehearse)


def _environment(env_dir: Path) -> Environment:
    env = read_environment(env_dir)
    if not os.environ.get(compose_runner.ENDPOINT_SWITCH):  # AWS: only the account env.hcl names
        require_account(env)
    return env


def _review(env: Environment, plans: dict[str, Path], allow_replace: bool, out_dir: Path) -> str:
    """Write, print and add to the GitHub job summary the review; raise if it is refused."""
    reviews = [review_unit(u, load_plan(p, judging="the promotion")) for u, p in plans.items()]
    markdown = summary_markdown(env.dir.relative_to(env.root).as_posix(), reviews, allow_replace)
    (out_dir / SUMMARY_FILE).write_text(markdown)
    print(markdown, flush=True)
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as summary:
            summary.write(markdown)
    if os.environ.get("GITHUB_OUTPUT"):  # lets the workflow skip an approval with nothing in it
        changes = any(r.add or r.change or r.destroy for r in reviews)
        with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as output:
            output.write(f"changes={str(changes).lower()}\n")
    refuse_unless_allowed(reviews, allow_replace)
    return markdown


def plan(env: Environment, out_dir: Path, runner: str, allow_replace: bool) -> str:
    out_dir.mkdir(parents=True, exist_ok=True)
    plans = RUNNERS[runner].plan(env, out_dir.resolve())
    return _review(env, plans, allow_replace, out_dir)


def apply(env: Environment, out_dir: Path, runner: str, allow_replace: bool) -> None:
    plans = {unit.name: out_dir / f"{unit.name}.json" for unit in env.units}
    missing = [str(path) for path in plans.values() if not path.is_file()]
    if missing:
        raise CounterStackError(f"no saved plan to apply: {', '.join(missing)} (run promote plan)")
    _review(env, plans, allow_replace, out_dir)  # the same check as at plan time, on the same plans
    RUNNERS[runner].apply(env, out_dir.resolve())
    print(f"==> applied the saved plans of {env.dir.relative_to(env.root).as_posix()}", flush=True)


def run_plan(args: argparse.Namespace) -> int:
    plan(_environment(args.env_dir), args.out_dir, args.runner, args.allow_replace)
    return 0


def run_apply(args: argparse.Namespace) -> int:
    apply(_environment(args.env_dir), args.out_dir, args.runner, args.allow_replace)
    return 0


def run_rehearse(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="cs-promote-") as temp:
        out_dir = args.out_dir or Path(temp)
        tree = with_alarm_subscriber(
            copy_tree(REPO_ROOT, Path(temp) / "tree"), REHEARSAL_SUBSCRIBER
        )
        with local_target(region=DEFAULT_REGION) as target:
            os.environ[compose_runner.ENDPOINT_SWITCH] = str(target.endpoint)
            try:
                for name in ("dev", "prod"):
                    env = _environment(tree / "live" / name)
                    print(f"==> {name}: saved plans in {out_dir / name}", flush=True)
                    plan(env, out_dir / name, "compose", allow_replace=False)
                    apply(env, out_dir / name, "compose", allow_replace=False)
                env = _environment(tree / "live" / "prod")
                print("==> prod again: the applied plans left nothing to do", flush=True)
                again = plan(env, out_dir / "prod", "compose", allow_replace=False)
                if "0 to add, 0 to change, 0 to destroy" not in again.splitlines()[0]:
                    raise CounterStackError("prod still plans changes after applying its plans")
            finally:
                os.environ.pop(compose_runner.ENDPOINT_SWITCH, None)
    return 0
