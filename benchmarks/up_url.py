"""How long `counterstack up` takes to print the /visitors URL, on the local account.

Starts `counterstack up --port 0 --page-port 0` (free ports), reads its output until the
`GET /visitors:` line and records the seconds since the start, then sends SIGINT (Ctrl-C) and
waits for the destroy and the leak check, outside the timing. `--vs` names another `counterstack`
(an older tree's, say): the two then run in turn, A B A B, so a busy machine slows both alike.
Prints the median (min-max) of each. Target: the URL within 10 s on a warm machine, median of 3.

    .venv/bin/python benchmarks/up_url.py [--runs 3] [--warmup 1] [--vs OTHER/bin/counterstack]
"""

import argparse
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

URL_LINE = re.compile(r"^GET /visitors: http://\S+$")
SERVING = "==> serving; press Ctrl-C"
SIGNAL_DELAY_SECONDS = 2.0
STOP_TIMEOUT_SECONDS = 180


def time_to_url(counterstack: str) -> float:
    """Seconds from starting `up` to its URL line; then Ctrl-C and wait for a clean exit."""
    command = [counterstack, "up", "--port", "0", "--page-port", "0"]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    transcript: list[str] = []
    elapsed = None
    try:
        for line in process.stdout:
            transcript.append(line)
            if elapsed is None and URL_LINE.match(line.strip()):
                elapsed = time.perf_counter() - started
            if line.startswith(SERVING):  # Ctrl-C from here on is a clean stop
                break
        else:
            raise RuntimeError(f"up exited before it served:\n{''.join(transcript)}")
        time.sleep(SIGNAL_DELAY_SECONDS)  # `up` installs its handler just after that line
        process.send_signal(signal.SIGINT)
        transcript += process.stdout.readlines()
        if process.wait(timeout=STOP_TIMEOUT_SECONDS) != 0:
            raise RuntimeError(f"up failed on Ctrl-C:\n{''.join(transcript)}")
        assert elapsed is not None, "".join(transcript)
        return elapsed
    finally:
        if process.poll() is None:
            process.kill()  # ours; its account dies with it
            process.wait()


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} ({min(values):5.2f}-{max(values):5.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs each (default: 3)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs each (default: 1)")
    parser.add_argument("--vs", help="another counterstack executable, run in turn with this one")
    args = parser.parse_args()

    own = str(Path(sys.executable).with_name("counterstack"))
    commands = {"this tree": own, **({"--vs": args.vs} if args.vs else {})}
    for _ in range(args.warmup):
        for counterstack in commands.values():
            time_to_url(counterstack)
    results: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, counterstack in commands.items():
            results[name].append(time_to_url(counterstack))
            print(f"  {name}: {results[name][-1]:.2f} s", flush=True)
    print(f"`counterstack up` to its URL, {args.runs} runs each (seconds, median (min-max)):")
    for name, values in results.items():
        print(f"  {name:<10} {summary(values)}  {commands[name]}")


if __name__ == "__main__":
    main()
