"""`counterstack promote plan|apply|rehearse`: prod changes only through a reviewed, saved plan.

`plan` writes each unit's saved plan and its JSON into --out-dir, prints the review (and appends
it to the GitHub job summary), and fails when a protected resource would be destroyed or replaced
unless --allow-replace says so. `apply` applies exactly those saved plans, after the same check.
`rehearse` runs both for dev and then prod against a local account, wave by wave (a unit is planned
once what it depends on is applied), through the project's Terragrunt runner where `terragrunt` is
not installed: the flow .ci/run exercises on every change. It rehearses a copy of the tree whose
prod alarms tell REHEARSAL_SUBSCRIBER: the real prod refuses to plan while nobody is to be told.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from counterstack.credentials import DEFAULT_REGION
from counterstack.errors import CounterStackError
from counterstack.harness.target import local_target
from counterstack.paths import REPO_ROOT
from counterstack.plan_json import load_plan
from counterstack.promote import terragrunt_runner
from counterstack.promote.environment import Environment, read_environment, require_account
from counterstack.promote.review import refuse_unless_allowed, review_unit, summary_markdown
from counterstack.terragrunt.run.guard import ENDPOINT_SWITCH
from counterstack.terragrunt.tree import copy_tree, with_alarm_subscriber

REHEARSAL_SUBSCRIBER = "rehearsal@example.com"  # the local account delivers no mail
SUMMARY_FILE = "summary.md"
# The rehearsal creates the local account's state buckets as Terragrunt's --backend-bootstrap does.
BOOTSTRAP_ENV = "TG_BACKEND_BOOTSTRAP"


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
        sub.add_argument(
            "--allow-replace",
            action="store_true",
            help="the plan may destroy or replace the table, the API or its stage (intended)",
        )
        sub.set_defaults(func=run_plan if action == "plan" else run_apply)
    rehearse = actions.add_parser(
        "rehearse", help="plan, review and apply dev then prod on a local account, wave by wave"
    )
    rehearse.add_argument("--out-dir", type=Path, help="keep the plans here (default: a temp dir)")
    rehearse.set_defaults(func=run_rehearse)


def _environment(env_dir: Path) -> Environment:
    env = read_environment(env_dir)
    if not os.environ.get(ENDPOINT_SWITCH):  # AWS: only the account env.hcl names
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


def plan(
    env: Environment, out_dir: Path, allow_replace: bool, units: Sequence[Path] | None = None
) -> str:
    """Save the plans of `units` (default: every unit) and review them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    plans = terragrunt_runner.plan(units or env.units, out_dir.resolve())
    return _review(env, plans, allow_replace, out_dir)


def apply(
    env: Environment, out_dir: Path, allow_replace: bool, units: Sequence[Path] | None = None
) -> None:
    """Apply the saved plans of `units` (default: every unit), after the plan-time check."""
    units = units or env.units
    plans = {unit.name: out_dir / f"{unit.name}.json" for unit in units}
    missing = [str(path) for path in plans.values() if not path.is_file()]
    if missing:
        raise CounterStackError(f"no saved plan to apply: {', '.join(missing)} (run promote plan)")
    _review(env, plans, allow_replace, out_dir)  # the same check as at plan time, on the same plans
    terragrunt_runner.apply(units, out_dir.resolve())
    print(f"==> applied the saved plans of {env.dir.relative_to(env.root).as_posix()}", flush=True)


def promote_in_waves(env: Environment, out_dir: Path, allow_replace: bool) -> None:
    """Plan, review and apply one wave at a time: a unit is planned only once every unit it
    depends on is applied, so no plan holds a mock or a stale output."""
    for number, wave in enumerate(env.waves, 1):
        names = ", ".join(unit.name for unit in wave)
        print(f"==> {env.name} wave {number}/{len(env.waves)}: {names}", flush=True)
        plan(env, out_dir, allow_replace, wave)
        apply(env, out_dir, allow_replace, wave)


def run_plan(args: argparse.Namespace) -> int:
    plan(_environment(args.env_dir), args.out_dir, args.allow_replace)
    return 0


def run_apply(args: argparse.Namespace) -> int:
    apply(_environment(args.env_dir), args.out_dir, args.allow_replace)
    return 0


def run_rehearse(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="cs-promote-") as temp:
        out_dir = args.out_dir or Path(temp)
        tree = with_alarm_subscriber(
            copy_tree(REPO_ROOT, Path(temp) / "tree"), REHEARSAL_SUBSCRIBER
        )
        # A repository of its own, so get_repo_root() is the copy (for Terragrunt and the runner).
        subprocess.run(["git", "init", "-q", str(tree)], check=True)
        with local_target(region=DEFAULT_REGION) as target:
            rehearsal = {
                ENDPOINT_SWITCH: str(target.endpoint),
                BOOTSTRAP_ENV: "true",
                # The lambda unit's before_hook runs `counterstack build`: this installation's.
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            }
            saved = {key: os.environ.get(key) for key in rehearsal}
            os.environ.update(rehearsal)
            try:
                rehearse(out_dir, tree)
            finally:
                for key, value in saved.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value
    return 0


def rehearse(out_dir: Path, tree: Path) -> None:
    """Dev then prod of `tree` promoted wave by wave; prod planned again must show no change."""
    for name in ("dev", "prod"):
        env = _environment(tree / "live" / name)
        print(f"==> {name}: saved plans in {out_dir / name}", flush=True)
        promote_in_waves(env, out_dir / name, allow_replace=False)
    env = _environment(tree / "live" / "prod")
    print("==> prod again: the applied plans left nothing to do", flush=True)
    again = plan(env, out_dir / "prod-again", allow_replace=False)
    if "0 to add, 0 to change, 0 to destroy" not in again.splitlines()[0]:
        raise CounterStackError("prod still plans changes after applying its plans")
