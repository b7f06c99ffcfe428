"""Start the shared aws provider so that it ends with the process that owns it.

Run as `python -I provider_lifeline.py FD STOP_TIMEOUT BINARY [ARG...]` (see `provider_process`):
it forks a watcher, then becomes BINARY by exec, so the provider keeps this process's pid,
output and parent. FD is the read end of a pipe whose only write end the owning process holds:
EOF on it means that process has ended, whichever of its threads started the provider. The
watcher then sends the provider SIGINT, and SIGKILL after STOP_TIMEOUT seconds.

The watcher is the provider's child: while its parent pid is the provider's, the provider has not
exited (a process's children are handed on when it exits), so signalling that pid cannot reach a
reused one. It exits once the provider has, however the provider ended. Standard library only:
it runs isolated (`-I`), once per provider start. A child the owner forks without exec would
keep the write end open, and the provider with it (the harness forks none; subprocesses do not
inherit it).
"""

import contextlib
import os
import select
import signal
import sys
import time
import traceback

IDLE_POLL_SECONDS = 1.0  # how soon an idle watcher notices that its provider ended by itself
STOP_POLL_SECONDS = 0.05


def provider_runs(provider_pid: int) -> bool:
    return os.getppid() == provider_pid


def watch(lifeline: int, provider_pid: int, stop_timeout: float) -> None:
    """Until the provider ends: on EOF of `lifeline`, SIGINT it, then SIGKILL it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # one sent to the provider's group is not ours
    while provider_runs(provider_pid):
        if select.select([lifeline], [], [], IDLE_POLL_SECONDS)[0]:  # no one writes: it is EOF
            stop(provider_pid, stop_timeout)
            return


def stop(provider_pid: int, stop_timeout: float) -> None:
    for sent in (signal.SIGINT, signal.SIGKILL):
        if not provider_runs(provider_pid):
            return
        with contextlib.suppress(ProcessLookupError):  # it ended since the line above
            os.kill(provider_pid, sent)
        deadline = time.monotonic() + stop_timeout
        while provider_runs(provider_pid) and time.monotonic() < deadline:
            time.sleep(STOP_POLL_SECONDS)


def main(argv: list[str]) -> None:
    lifeline, stop_timeout, binary, *arguments = argv
    provider_pid = os.getpid()  # this process becomes the provider
    if os.fork() == 0:
        try:
            watch(int(lifeline), provider_pid, float(stop_timeout))
        except BaseException:
            traceback.print_exc()  # into the provider's log
            os._exit(1)
        os._exit(0)
    os.close(int(lifeline))  # the watcher's copy is enough
    os.execv(binary, [binary, *arguments])


if __name__ == "__main__":
    main(sys.argv[1:])
