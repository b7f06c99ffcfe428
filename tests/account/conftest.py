"""Fixtures of the local-account tests: one account per xdist worker, deploy helpers.

`local_account` is session-scoped (one offline account per xdist worker, on a free port) and
stopped at the end; tests give their resources unique names instead of resetting the account,
so they can share it. It runs in a child process: moto keeps its state in module globals, and a
unit test's `mock_aws()` on the same xdist worker would otherwise wipe it between two tests.
"""

import uuid
from collections.abc import Callable, Iterator

import pytest
from account_helpers import ASSUME_LAMBDA, PROBE_SOURCE, REGION, Deployer, zip_source
from retried_attempts import record_retried_attempts

from counterstack.build import build_package
from counterstack.harness.account_process import account_process
from counterstack.local import RemoteAccount


@pytest.fixture(scope="session")
def local_account(request: pytest.FixtureRequest) -> Iterator[RemoteAccount]:
    """One offline account per xdist worker (a free port), stopped at the end of the session."""
    with account_process(port=0, region=REGION) as endpoint:
        yield RemoteAccount(endpoint, REGION)
        record_retried_attempts(request.config, endpoint)


@pytest.fixture(scope="session")
def counter_zip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The real Lambda package, built as the project ships it."""
    return build_package(tmp_path_factory.mktemp("pkg") / "visitor_counter.zip").path.read_bytes()


@pytest.fixture(scope="session")
def probe_zip() -> bytes:
    return zip_source({"probe.py": PROBE_SOURCE})


@pytest.fixture
def unique() -> Callable[[str], str]:
    return lambda stem: f"{stem}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def role_arn(local_account: RemoteAccount) -> str:
    iam = local_account.client("iam")
    name = f"account-tests-{uuid.uuid4().hex[:6]}"
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=ASSUME_LAMBDA)["Role"]["Arn"]


@pytest.fixture
def deploy(local_account: RemoteAccount, role_arn: str) -> Deployer:
    return Deployer(local_account, role_arn)


@pytest.fixture
def probe(deploy: Deployer, probe_zip: bytes, unique: Callable[[str], str]) -> dict:
    """A fresh probe function (its own workers)."""
    return deploy.function(unique("probe"), probe_zip, Timeout=3)
