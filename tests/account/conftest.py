"""Fixtures of the account tests: the account under test, deploy helpers with cleanup.

`account` is the session's target account (`--target`): the offline account (one per xdist
worker, in a child process, shared with the e2e fixtures through `target`) or a real AWS account,
behind the same helpers (clients, execute-api URLs). Tests that claim AWS behaviour use it, so
the nightly run checks the emulator against AWS. `local_account` is for tests that check the
local account itself; they are marked `local_only(reason=...)` and skipped on `--target aws`.
Tests give their resources unique `ct-` names (the nightly sweeper's prefix), made with the mark
of a test run (`harness.mark`), and `deploy` deletes what it created after each test and proves
it.
"""

import uuid
from collections.abc import Callable, Iterator

import pytest
from account_helpers import (
    PROBE_SOURCE,
    Deployer,
    create_execution_role,
    delete_execution_role,
    zip_source,
)

from counterstack.build import build_package
from counterstack.harness.mark import tag_list
from counterstack.harness.target import Target
from counterstack.local.client import AccountClient
from counterstack.seed import LAMBDA_TRUST_POLICY


@pytest.fixture(scope="session")
def account(target: Target) -> AccountClient:
    """The account under test: the local one, or a real one on `--target aws`."""
    return target.account()


@pytest.fixture(scope="session")
def local_account(target: Target, account: AccountClient) -> AccountClient:
    """The offline account, for tests of the local account itself (marked `local_only`)."""
    if target.name != "local":
        pytest.fail(
            "this test uses the local account on --target aws: give it `account`, or mark it "
            "local_only(reason=...)",
            pytrace=False,
        )
    return account


@pytest.fixture(scope="session")
def counter_zip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The real Lambda package, built as the project ships it."""
    return build_package(tmp_path_factory.mktemp("pkg") / "visitor_counter.zip").path.read_bytes()


@pytest.fixture(scope="session")
def probe_zip() -> bytes:
    return zip_source({"probe.py": PROBE_SOURCE})


@pytest.fixture
def unique() -> Callable[[str], str]:
    """Unique resource names with the sweeper's `ct-` prefix."""
    return lambda stem: f"ct-{stem}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def role_arn(account: AccountClient) -> Iterator[str]:
    """One execution role for the session's functions, deleted at the end."""
    iam = account.client("iam")
    name = f"ct-account-tests-{uuid.uuid4().hex[:6]}"
    role = iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=LAMBDA_TRUST_POLICY, Tags=tag_list(name)
    )
    arn = role["Role"]["Arn"]
    try:
        yield arn
    finally:
        iam.delete_role(RoleName=name)


@pytest.fixture
def deploy(account: AccountClient, role_arn: str) -> Iterator[Deployer]:
    """Creates functions, APIs, tables and log groups; deletes them after the test, then
    checks that none is left."""
    deployer = Deployer(account, role_arn)
    try:
        yield deployer
    finally:
        deployer.destroy()
    assert deployer.leftovers() == [], "resources the test created are still there"


@pytest.fixture
def probe(deploy: Deployer, probe_zip: bytes, unique: Callable[[str], str]) -> dict:
    """A fresh probe function (its own workers)."""
    return deploy.function(unique("probe"), probe_zip, Timeout=3)


@pytest.fixture
def execution_role(account: AccountClient) -> Iterator[Callable[[str, list[dict]], str]]:
    """Make execution roles with an inline policy (name, statements) -> ARN; deleted afterwards."""
    made: list[str] = []

    def make(name: str, statements: list[dict]) -> str:
        arn = create_execution_role(account, name, statements)
        made.append(name)
        return arn

    yield make
    for name in made:
        delete_execution_role(account, name)
    names = {role["RoleName"] for role in account.client("iam").list_roles()["Roles"]}
    assert not names & set(made), "execution roles left behind"
