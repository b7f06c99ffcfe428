"""`counterstack promote plan|apply|run`: changes only through reviewed, saved plans.

A promotion goes in rounds (`promote.rounds`): a unit is planned only once what it reads of its
dependencies is applied, so no saved plan holds a mock or a stale output. `plan` saves the round's
plans and their JSON into --out-dir, prints the review (and appends it to the GitHub job summary,
with `changes` and `remaining` as step outputs), and fails when a protected resource would be
destroyed or replaced, or a waiting unit left pointing at what its dependency destroys, unless
--allow-replace says so. `apply` applies exactly that round's saved plans, after the same check.
`run` makes rounds until no unit waits, asking before each apply (--auto-approve where the plans
are reviewed elsewhere). tests/live/test_promotion_proofs.py runs them on a local account in
.ci/run: an empty account to dev and prod, again with no change, and a staged rename.
"""

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from counterstack.errors import CounterStackError
from counterstack.promote import terragrunt_runner
from counterstack.promote.environment import Environment, read_environment, require_account
from counterstack.promote.review import refuse_unless_allowed, review_unit, summary_markdown
from counterstack.promote.rounds import Round, plan_changes, plan_round, saved_round
from counterstack.terragrunt.run.guard import local_endpoint

SUMMARY_FILE = "summary.md"
Approval = Callable[[Round], bool]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "promote",
        help="plan an environment into saved plans round by round, review them, apply those",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, help_text in (
        ("plan", "save the next round's plans in --out-dir, print the review (exit 2 if refused)"),
        ("apply", "apply the round's saved plans in --out-dir, never a fresh plan"),
        ("run", "plan, review, approve and apply round after round until no unit waits"),
    ):
        sub = actions.add_parser(action, help=help_text)
        sub.add_argument("env_dir", type=Path, metavar="ENV_DIR", help="live/<env> of a checkout")
        sub.add_argument("--out-dir", type=Path, required=True, help="where the plans are kept")
        sub.add_argument(
            "--allow-replace",
            action="store_true",
            help="the plans may destroy or replace the table, the API or its stage, or leave a "
            "unit pointing at what its dependency destroys until the next round (intended)",
        )
        if action == "run":
            sub.add_argument(
                "--auto-approve",
                action="store_true",
                help="apply each round without asking (its review is printed, and in CI goes to "
                "the job summary)",
            )
        sub.set_defaults(func={"plan": run_plan, "apply": run_apply, "run": run_run}[action])


def _environment(env_dir: Path) -> Environment:
    env = read_environment(env_dir)
    if local_endpoint(os.environ) is None:  # AWS: only the account env.hcl names
        require_account(env)
    return env


def _review(env: Environment, done: Round, allow_replace: bool, out_dir: Path) -> str:
    """Write, print and add to the GitHub job summary the round's review; raise if refused."""
    reviews = [review_unit(unit, plan) for unit, plan in done.plans.items()]
    markdown = summary_markdown(
        env.dir.relative_to(env.root).as_posix(),
        reviews,
        allow_replace,
        waiting=done.waiting,
        stranding=done.stranding,
    )
    (out_dir / SUMMARY_FILE).write_text(markdown)
    print(markdown, flush=True)
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as summary:
            summary.write(markdown)
    if os.environ.get("GITHUB_OUTPUT"):  # lets the workflow skip an approval with nothing in it
        with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as output:
            output.write(f"changes={str(done.changes).lower()}\n")
            output.write(f"remaining={str(bool(done.waiting)).lower()}\n")
    refuse_unless_allowed(reviews, allow_replace, done.stranding)
    return markdown


def plan(
    env: Environment, out_dir: Path, allow_replace: bool, settled: Sequence[str] = ()
) -> Round:
    """Save the plans of the round's units (less those `settled` earlier in this promotion) and
    review them."""
    done = plan_round(env, out_dir, settled)
    _review(env, done, allow_replace, out_dir)
    return done


def apply(env: Environment, out_dir: Path, allow_replace: bool) -> Round:
    """Apply the round's saved plans (those that change anything), after the plan-time check."""
    done = saved_round(env, out_dir)
    _review(env, done, allow_replace, out_dir)  # the same check as at plan time, on the same plans
    changing = [unit for unit in env.units if plan_changes(done.plans.get(unit.name, {}))]
    terragrunt_runner.apply(changing, out_dir.resolve())
    where = env.dir.relative_to(env.root).as_posix()
    left = f"; next round: {', '.join(done.waiting)}" if done.waiting else ""
    print(f"==> applied the saved plans of {where} ({len(changing)} units){left}", flush=True)
    return done


def promote(env: Environment, out_dir: Path, allow_replace: bool, *, approve: Approval) -> int:
    """Round after round until no unit waits: plan, review, approve, apply. The rounds made."""
    settled: list[str] = []
    for number in range(1, len(env.waves) + 1):
        round_dir = out_dir / f"round-{number}"
        print(f"==> {env.name} round {number}: saved plans in {round_dir}", flush=True)
        done = plan(env, round_dir, allow_replace, settled)
        if not done.plans:
            raise CounterStackError(f"{env.name} round {number} planned no unit")
        if done.changes and not approve(done):
            raise CounterStackError(f"not applied: the plans of round {number} are in {round_dir}")
        apply(env, round_dir, allow_replace)
        if not done.waiting:
            return number
        settled += done.plans
    raise CounterStackError(f"{env.name}: units still wait after {len(env.waves)} rounds")


def ask(done: Round) -> bool:
    """The person at the terminal approves the plans printed above."""
    if not sys.stdin.isatty():
        raise CounterStackError("no terminal to approve the plans on: give --auto-approve")
    return input("apply these plans? [y/N] ").strip().lower() in ("y", "yes")


def run_plan(args: argparse.Namespace) -> int:
    plan(_environment(args.env_dir), args.out_dir, args.allow_replace)
    return 0


def run_apply(args: argparse.Namespace) -> int:
    apply(_environment(args.env_dir), args.out_dir, args.allow_replace)
    return 0


def run_run(args: argparse.Namespace) -> int:
    approve: Approval = (lambda _round: True) if args.auto_approve else ask
    promote(_environment(args.env_dir), args.out_dir, args.allow_replace, approve=approve)
    return 0
