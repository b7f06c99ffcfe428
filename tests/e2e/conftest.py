"""The deployed counter the e2e tests talk to: one shared ephemeral stack, or --smoke-url.

Terratest's stages habit: the tests that only read a stack (HTTP, CORS, the browser, faults the
account injects, the load test) share one apply per worker session: once in a serial run, once
per worker that runs them under xdist (tests/xdist_groups.py says which run together). The test
that destroys it runs after every other test (marker `destroys_shared_stack`). A test that
needs a stack of its own creates it and says why in its docstring.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from adopt_helpers import REGION as SEED_REGION
from adopt_helpers import SeedNames, on_aws
from terraform_runner import TerraformRunner

from counterstack.harness.provider_process import shared_provider
from counterstack.harness.stack import Stack
from counterstack.harness.target import Target, local_target
from counterstack.page import PageServer
from counterstack.paths import EXAMPLE_COMPLETE
from counterstack.seed import SEED_ORIGINS

# The load test must get through the stage: the module's defaults (100 burst, 50/s) would answer
# most of 1,000 concurrent GETs 429, which measures the throttle, not the counter.
THROTTLING = {"throttling_burst_limit": 2000, "throttling_rate_limit": 2000}


@dataclass(frozen=True)
class Counter:
    url: str  # GET here counts a visit
    allowed_origin: str
    stack: Stack | None  # None in smoke mode: nothing was created by this run

    def sibling(self, path: str) -> str:
        """Another path on the same API stage, e.g. `/unknown`."""
        return self.url.rsplit("/visitors", 1)[0] + path


@pytest.fixture(scope="session")
def allowed_page() -> Iterator[PageServer]:
    """The counter page from `http://localhost:<port>`, an origin the shared stack allows."""
    with PageServer(0, host="localhost") as page:
        yield page


@pytest.fixture(scope="session")
def shared_stack(stack_factory, allowed_page: PageServer) -> Iterator[Stack]:
    """examples/complete allowing the seed's origins and the local page, throttled loosely."""
    origins = [*SEED_ORIGINS, allowed_page.origin]
    with stack_factory(EXAMPLE_COMPLETE, cors_allow_origins=origins, **THROTTLING) as stack:
        yield stack


@pytest.fixture(scope="session")
def counter(request: pytest.FixtureRequest) -> Counter:
    """The shared stack's counter, or the deployment under --smoke-url (nothing created)."""
    smoke_url = request.config.getoption("--smoke-url")
    if smoke_url:
        return Counter(smoke_url, request.config.getoption("--smoke-origin"), None)
    stack = request.getfixturevalue("shared_stack")
    return Counter(stack.url(), SEED_ORIGINS[1], stack)


@pytest.fixture(scope="module")
def seed_account(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The account of the adoption tests: locally an offline account of the test module's own,
    where the seed's fixed names (visitor-counter, visitorCounter) cannot meet another module's;
    on --target aws the session's account, where `seed_names` are the test's own."""
    if on_aws(request.config):
        yield request.getfixturevalue("target")
        return
    with local_target(region=SEED_REGION) as target:
        yield target


@pytest.fixture(scope="module")
def seed_tf(
    request: pytest.FixtureRequest,
    seed_account: Target,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[TerraformRunner]:
    """Terraform against `seed_account`: on --target aws the session's runner; locally a
    provider process of the module's own account (its endpoint is not the worker's)."""
    if on_aws(request.config):
        yield request.getfixturevalue("tf")
        return
    logs = tmp_path_factory.mktemp("seed-provider-logs")
    with shared_provider(seed_account.name, logs, seed_account.terraform_env()) as provider:
        yield TerraformRunner(seed_account, provider)


@pytest.fixture
def seed_names(request: pytest.FixtureRequest, name_prefix) -> SeedNames:
    """The seed's own names on a local account; unique `ct-...` names on --target aws."""
    return SeedNames.prefixed(name_prefix()) if on_aws(request.config) else SeedNames()


@pytest.fixture(scope="session")
def package(package_path: str) -> Path:
    """The run's Lambda zip (built once per run), as the seed stacks deploy it."""
    return Path(package_path)
