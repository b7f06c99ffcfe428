"""Where the time of one ephemeral-stack cycle goes, on the local account.

Prints the median (and min/max) of each phase over N cycles — init, apply, hit (two GETs),
re-plan, destroy — and optionally the e2e suite's wall time serial vs `-n 2`.
Targets (2 cores): full cycle <= 15 s median; `-n 2` >= 1.6x faster than serial.

    .venv/bin/python benchmarks/e2e_cycle.py [--cycles 5] [--suite]
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from counterstack.harness.naming import new_run_id, unique_prefix
from counterstack.harness.stack import assert_no_leaks, prepare_stack, terraform
from counterstack.harness.target import local_target
from counterstack.paths import EXAMPLE_COMPLETE, REPO_ROOT

PHASES = ("init", "apply", "hit", "replan", "destroy")


def one_cycle(target, run_id: str) -> dict[str, float]:
    times: dict[str, float] = {}

    def timed(phase: str, action):
        start = time.perf_counter()
        result = action()
        times[phase] = time.perf_counter() - start
        return result

    with tempfile.TemporaryDirectory() as workdir:
        prefix = unique_prefix(run_id, "bench")
        tf = terraform(prepare_stack(EXAMPLE_COMPLETE, target, Path(workdir), prefix))
        timed("init", lambda: tf.init(upgrade=False))
        timed("apply", lambda: tf.apply(auto_approve=True))
        url = target.reachable_url(tf.output()["visitors_url"])
        counts = timed("hit", lambda: [requests.get(url, timeout=10).json() for _ in range(2)])
        assert counts == [{"count": 1}, {"count": 2}], counts
        plan = timed("replan", lambda: tf.execute_command("plan", "-detailed-exitcode"))
        assert plan.retcode == 0, plan.out
        timed("destroy", lambda: tf.destroy(auto_approve=True))
        assert_no_leaks(target, prefix)
    times["cycle"] = sum(times.values())
    return times


def suite_wall_time(workers: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-m",
            "e2e",
            "-n",
            workers,
            "-p",
            "no:cacheprovider",
        ],
        cwd=REPO_ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--suite", action="store_true", help="also time the e2e suite")
    args = parser.parse_args()

    run_id = new_run_id()
    with local_target() as target:
        one_cycle(target, run_id)  # warm-up: provider plugin in the page cache, workers imported
        cycles = [one_cycle(target, run_id) for _ in range(args.cycles)]
    print(f"one local cycle, {args.cycles} runs (seconds): median  min   max")
    for phase in (*PHASES, "cycle"):
        values = [cycle[phase] for cycle in cycles]
        print(
            f"  {phase:<8} {statistics.median(values):6.2f} {min(values):5.2f} {max(values):5.2f}"
        )
    if args.suite:
        serial, parallel = suite_wall_time("0"), suite_wall_time("2")
        print(
            f"e2e suite wall time: serial {serial:.1f} s, -n 2 {parallel:.1f} s, "
            f"speed-up {serial / parallel:.2f}x"
        )


if __name__ == "__main__":
    main()
