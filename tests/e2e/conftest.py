"""The deployed counter the e2e tests talk to: an ephemeral stack, or --smoke-url."""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from counterstack.harness.stack import Stack
from counterstack.paths import EXAMPLE_COMPLETE
from counterstack.seed import SEED_ORIGINS

ALLOWED_ORIGINS = list(SEED_ORIGINS)


@dataclass(frozen=True)
class Counter:
    url: str  # GET here counts a visit
    allowed_origin: str
    stack: Stack | None  # None in smoke mode: nothing was created by this run

    def sibling(self, path: str) -> str:
        """Another path on the same API stage, e.g. `/unknown`."""
        return self.url.rsplit("/visitors", 1)[0] + path


@pytest.fixture(scope="module")
def counter(request: pytest.FixtureRequest) -> Iterator[Counter]:
    """One stack per test module (--dist=loadscope keeps a module's tests on one xdist worker)."""
    smoke_url = request.config.getoption("--smoke-url")
    if smoke_url:
        yield Counter(smoke_url, request.config.getoption("--smoke-origin"), None)
        return
    stack_factory = request.getfixturevalue("stack_factory")
    with stack_factory(EXAMPLE_COMPLETE, cors_allow_origins=ALLOWED_ORIGINS) as stack:
        yield Counter(stack.url(), ALLOWED_ORIGINS[1], stack)
