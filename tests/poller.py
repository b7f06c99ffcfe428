"""A poller for tests that change a live stack: GETs a URL in a thread, every answer that is not a
200 kept, so a change can be proved to have cost no request (tests/e2e/test_permission_upgrade.py,
tests/live/test_promotion_proofs.py)."""

import threading
from dataclasses import dataclass, field

import requests

POLL_SECONDS = 0.2


@dataclass
class Poller:
    """GETs `url` every POLL_SECONDS in a thread; keeps every answer that is not a 200."""

    url: str
    answered: int = 0
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                response = requests.get(self.url, timeout=10)
            except requests.RequestException as error:
                self.failures.append(f"{type(error).__name__}: {error}")
                continue
            self.answered += 1
            if response.status_code != 200:
                self.failures.append(f"{response.status_code} {response.text[:200]}")

    def __enter__(self) -> "Poller":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=15)
