"""Where the time of one ephemeral-stack cycle goes, on the local account, side by side.

Times the harness's cycle — init, apply, hit (two GETs), re-plan, destroy (`-refresh=false`
after a clean apply, as the harness does) — with Terraform starting its own aws provider
("normal") and with one shared debug-mode provider process ("shared"), alternating the two so a
busy machine slows both alike. Prints the median (min, max) of each phase and the ratio normal /
shared. Like the harness, the cycles pass the account's shared alarms key
(`harness/shared_key.py`, made by the warm-up), so no cycle pays a new KMS key's ~12 s of
provider waiters. `--suite` also prints the e2e suite's wall time serial vs `-n 2` and the
speed-up. Targets (2 cores): cycle median of 5 <= 10 s (shared provider); e2e suite `-n 2`
>= 1.6x faster than serial.

    .venv/bin/python benchmarks/e2e_cycle.py [--cycles 5] [--suite]
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

from counterstack.harness.naming import new_run_id, unique_prefix
from counterstack.harness.provider_process import SharedProvider
from counterstack.harness.stack import assert_no_leaks, destroy, prepare_stack, terraform
from counterstack.harness.target import Target, local_target
from counterstack.paths import EXAMPLE_COMPLETE, REPO_ROOT

PHASES = ("init", "apply", "hit", "replan", "destroy")
MODES = ("normal", "shared")


def one_cycle(target: Target, run_id: str, provider: SharedProvider | None) -> dict[str, float]:
    times: dict[str, float] = {}

    def timed(phase: str, action: Callable):
        start = time.perf_counter()
        result = action()
        times[phase] = time.perf_counter() - start
        return result

    with tempfile.TemporaryDirectory() as workdir:
        prefix = unique_prefix(run_id, "bench")
        tfdir = prepare_stack(EXAMPLE_COMPLETE, target, Path(workdir), prefix)
        tf = terraform(tfdir, target, provider)
        timed("init", lambda: tf.init(upgrade=False))
        timed("apply", lambda: tf.apply(auto_approve=True))
        url = target.reachable_url(tf.output()["visitors_url"])
        counts = timed("hit", lambda: [requests.get(url, timeout=10).json() for _ in range(2)])
        assert counts == [{"count": 1}, {"count": 2}], counts
        plan = timed("replan", lambda: tf.execute_command("plan", "-detailed-exitcode"))
        assert plan.retcode == 0, plan.out
        timed("destroy", lambda: destroy(tf, refresh=False))
        assert_no_leaks(target, prefix)
    times["cycle"] = sum(times.values())
    return times


def print_cycles(results: dict[str, list[dict[str, float]]]) -> None:
    count = len(results["normal"])
    print(f"one local cycle, {count} runs each (seconds, median (min-max)):")
    print(f"  {'phase':<8} {'normal':>19} {'shared':>19}  normal/shared")
    for phase in (*PHASES, "cycle"):
        cells, medians = [], []
        for mode in MODES:
            values = [cycle[phase] for cycle in results[mode]]
            medians.append(statistics.median(values))
            cells.append(f"{medians[-1]:6.2f} ({min(values):5.2f}-{max(values):5.2f})")
        ratio = medians[0] / medians[1] if medians[1] else float("nan")
        print(f"  {phase:<8} {cells[0]:>19} {cells[1]:>19}  {ratio:5.2f}x")


def suite_wall_time(workers: str) -> float:
    start = time.perf_counter()
    command = [sys.executable, "-m", "pytest", "-q", "-m", "e2e", "-n", workers]
    subprocess.run(
        [*command, "-p", "no:cacheprovider"], cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=5, help="cycles per mode (default: 5)")
    parser.add_argument("--suite", action="store_true", help="also time the e2e suite")
    args = parser.parse_args()

    run_id = new_run_id()
    results: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    with tempfile.TemporaryDirectory() as logs, local_target() as target:
        shared = SharedProvider(target.name, Path(logs), target_env=target.terraform_env())
        try:
            providers = {"normal": None, "shared": shared}
            for provider in providers.values():  # warm-up: page cache, workers, schema
                one_cycle(target, run_id, provider)
            for _ in range(args.cycles):
                for mode, provider in providers.items():
                    results[mode].append(one_cycle(target, run_id, provider))
        finally:
            shared.stop()
    print_cycles(results)
    if args.suite:
        serial, parallel = suite_wall_time("0"), suite_wall_time("2")
        print(
            f"e2e suite wall time: serial {serial:.1f} s, -n 2 {parallel:.1f} s, "
            f"speed-up {serial / parallel:.2f}x"
        )


if __name__ == "__main__":
    main()
