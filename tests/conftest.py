"""Project-wide pytest options and the fixtures of the Terratest-style harness.

`--target local` (default) starts one offline account per xdist worker; `--target aws` uses the
default credential chain. `--smoke-url` runs the smoke subset against an existing deployment
without creating or destroying anything.
"""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import conformance_summary
import pytest
from retried_attempts import (  # the hooks that print (under CI: fail) a run's lost answers
    add_lost_answer_option,
    pytest_runtest_setup,  # noqa: F401
    pytest_sessionfinish,  # noqa: F401
    pytest_terminal_summary,  # noqa: F401
    pytest_testnodedown,  # noqa: F401
    record_retried_attempts,
)
from run_cache import once_per_run
from terraform_runner import TerraformRunner
from xdist_groups import GroupScheduling, start_rank

from counterstack.build import build_package
from counterstack.errors import CounterStackError
from counterstack.harness.kept_stacks import StackStore, stage_options_problem, staged_stack
from counterstack.harness.local_only import skip_local_only, unmarked_local_use
from counterstack.harness.naming import new_run_id, unique_prefix
from counterstack.harness.provider_process import SharedProvider, shared_provider
from counterstack.harness.stack import Stack
from counterstack.harness.target import Target, aws_target, local_target, selected_target_name
from counterstack.local.awslambda.execution_environment import interpreter
from counterstack.paths import REPO_ROOT
from counterstack.preflight import check_terraform, lambda_python_warning
from counterstack.seed import SEED_ORIGINS
from counterstack.terraform_cli import ENDPOINT_ENV, apply_terraform_env


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("counterstack")
    group.addoption(
        "--target",
        choices=("local", "aws"),
        default=None,
        help="account for e2e tests: local (offline, default) or aws (default credential chain);"
        " env COUNTERSTACK_TARGET",
    )
    group.addoption(
        "--keep-stack",
        action="store_true",
        help="leave the run's stacks applied for the next --reuse-stack (one process only)",
    )
    group.addoption(
        "--reuse-stack",
        action="store_true",
        help="apply the current code over the stacks a --keep-stack run left, then destroy them"
        " unless --keep-stack is given again",
    )
    group.addoption(
        "--smoke-url",
        default=None,
        help="run only smoke tests against this deployed /visitors URL (creates nothing)",
    )
    group.addoption(
        "--smoke-origin",
        default=SEED_ORIGINS[0],
        help="an origin the deployment under --smoke-url allows (default: %(default)s)",
    )
    add_lost_answer_option(group)


def pytest_configure(config: pytest.Config) -> None:
    apply_terraform_env()  # every terraform child of this run uses the project's CLI config
    # xdist workers are started with test ids, not a bare `pytest`: the controller decides.
    workerinput = getattr(config, "workerinput", None)
    config.stash[LEAVE_OUT_SLOW] = (
        workerinput["leave_out_slow"] if workerinput else leaves_out_slow(config)
    )
    config.pluginmanager.register(conformance_summary, "conformance_summary")
    problem = stage_options_problem(
        keep=config.getoption("--keep-stack"),
        reuse=config.getoption("--reuse-stack"),
        workers=bool(config.getoption("numprocesses", None)),
        account_outlives_run=target_is_aws(config),
    )
    if problem:
        raise pytest.UsageError(problem)


LEAVE_OUT_SLOW = pytest.StashKey[bool]()


def pytest_configure_node(node) -> None:
    """xdist, on the controller: each worker leaves out the slow tests if the run does."""
    node.workerinput["leave_out_slow"] = node.config.stash[LEAVE_OUT_SLOW]


def leaves_out_slow(config: pytest.Config) -> bool:
    """A bare `pytest` (no -m, no test named) is the two-minute run: the slow tests, each an
    apply cycle or more of its own, are left to `pytest -m slow`; `.ci/run` runs both."""
    named = config.args_source is not pytest.Config.ArgsSource.TESTPATHS
    return not (named or config.getoption("markexpr"))


def pytest_report_header(config: pytest.Config) -> list[str]:
    """The tools' preflight, once at the top: what to install, in one line each."""
    lines = [lambda_python_warning(interpreter) or ""]
    if config.stash[LEAVE_OUT_SLOW]:
        lines.append("slow tests left out: `pytest -m slow` runs them (.ci/run runs both)")
    try:
        check_terraform()
    except CounterStackError as error:
        lines.append(f"warning: {error} (the tests that run Terraform fail until then)")
    return [line for line in lines if line]


# Fixtures only the local account provides: a test using one must be marked local_only.
LOCAL_ONLY_FIXTURES = ("local_account", "fault_endpoint")


@pytest.hookimpl(wrapper=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object):
    """An unmarked user of a local-only fixture is a collection error of its module (reported as
    such under xdist too), so the nightly AWS selection never fails at that fixture instead."""
    items = yield
    for item in items if isinstance(items, list) else [items]:
        problem = isinstance(item, pytest.Item) and unmarked_local_use(item, LOCAL_ONLY_FIXTURES)
        if problem:
            raise collector.CollectError(problem)
    return items


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.stash[LEAVE_OUT_SLOW]:
        slow = [item for item in items if "slow" in item.keywords]
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if "slow" not in item.keywords]
    skip_local_only(items, on_aws=target_is_aws(config))
    order_for_xdist(items)
    if not config.getoption("--smoke-url"):
        return
    skip = pytest.mark.skip(reason="--smoke-url runs only the smoke tests")
    for item in items:
        if "smoke" not in item.keywords:
            item.add_marker(skip)


def target_is_aws(config: pytest.Config) -> bool:
    try:
        return selected_target_name(config.getoption("--target")) == "aws"
    except CounterStackError as error:
        raise pytest.UsageError(str(error)) from error


def order_for_xdist(items: list[pytest.Item]) -> None:
    """Long e2e groups first (see tests/xdist_groups.py); a test that destroys the shared stack
    runs after every other test. Workers report this order; the scheduler keeps it."""

    def start_order(indexed: tuple[int, pytest.Item]) -> tuple[bool, int, int]:
        index, item = indexed
        destroys = item.get_closest_marker("destroys_shared_stack") is not None
        return destroys, start_rank(item.nodeid, "e2e" in item.keywords), index

    items[:] = [item for _, item in sorted(enumerate(items), key=start_order)]


def pytest_xdist_make_scheduler(config: pytest.Config, log) -> GroupScheduling:
    """loadscope by group: a module, or the e2e modules that share one stack."""
    return GroupScheduling(config, log)


@pytest.fixture(scope="session")
def run_id(request: pytest.FixtureRequest) -> str:
    """Shared by every xdist worker of one run (pytest-xdist's testrun_uid)."""
    if request.config.pluginmanager.has_plugin("xdist"):
        return request.getfixturevalue("testrun_uid")[:6]
    return new_run_id()


TARGET_ERROR = pytest.StashKey[str]()


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The account this session's stacks go to (one offline account per xdist worker).

    A target that cannot be reached fails every test that needs it with one line, found once:
    without credentials, `--target aws` does not ask the credential chain again per test.
    """
    stash = request.config.stash
    if TARGET_ERROR not in stash:
        try:
            name = selected_target_name(request.config.getoption("--target"))
            if name == "aws":
                yield aws_target()
                return
            with local_target() as local:
                yield local
                record_retried_attempts(request.config, local.endpoint, "target")
            return
        except CounterStackError as error:
            stash[TARGET_ERROR] = str(error)
    pytest.fail(stash[TARGET_ERROR], pytrace=False)


@pytest.fixture(scope="session")
def provider(
    target: Target, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SharedProvider | None]:
    """This worker's one aws provider process (started on first use, stopped at session end);
    None when COUNTERSTACK_SHARED_PROVIDER=0, or on aws unless it is 1."""
    try:
        logs = tmp_path_factory.mktemp("provider-logs")
        with shared_provider(target.name, logs, target.terraform_env()) as shared:
            yield shared
    except CounterStackError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def tf(target: Target, provider: SharedProvider | None) -> TerraformRunner:
    """Terraform by hand against this worker's target, through its shared provider if any."""
    return TerraformRunner(target, provider)


@pytest.fixture(scope="session")
def name_prefix(run_id: str, worker_id: str) -> Callable[[], str]:
    """Factory of unique stack prefixes: run id + xdist worker + a counter."""
    return lambda: unique_prefix(run_id, worker_id)


StackFactory = Callable[..., AbstractContextManager[Stack]]


@pytest.fixture(scope="session")
def stack_factory(
    request: pytest.FixtureRequest,
    target: Target,
    provider: SharedProvider | None,
    name_prefix: Callable[[], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> StackFactory:
    """`with stack_factory(root_dir, **variables) as stack:` — apply, yield, destroy, leak-check.

    With --keep-stack/--reuse-stack the n-th stack of a root is the n-th one of the last run."""
    keep = request.config.getoption("--keep-stack")
    reuse = request.config.getoption("--reuse-stack")
    made: dict[Path, int] = {}

    try:
        check_terraform()  # one line that says what to install, not a traceback per test
    except CounterStackError as error:
        pytest.fail(str(error), pytrace=False)

    def make(root_dir: Path, **variables) -> AbstractContextManager[Stack]:
        made[root_dir] = made.get(root_dir, 0) + 1
        return staged_stack(
            root_dir,
            store=StackStore(),
            key=f"{Path(root_dir).resolve().relative_to(REPO_ROOT)}-{made[root_dir]}",
            keep=keep,
            reuse=reuse,
            target=target,
            new_prefix=name_prefix,
            new_workdir=tmp_path_factory.mktemp,
            provider=provider,
            **variables,
        )

    return make


@pytest.fixture(scope="session")
def run_root(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A folder shared by every xdist worker of this run (the xdist-documented pattern)."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


@pytest.fixture(scope="session")
def package_path(run_root: Path) -> str:
    """The Lambda zip, built once per run into the run's temp folder."""
    zip_path = run_root / "package" / "visitor_counter.zip"
    once_per_run(run_root, "package", lambda: str(build_package(zip_path).path))
    return str(zip_path)


@pytest.fixture(scope="session")
def aws_endpoint(request: pytest.FixtureRequest) -> Iterator[str]:
    """A moto server on a free loopback port, one per xdist worker: STS answers for plans."""
    from counterstack.harness.plan import local_aws_server  # loads moto: only when planning

    with local_aws_server() as url:
        yield url
        record_retried_attempts(request.config, url, "aws_endpoint")


@pytest.fixture(scope="session")
def plan_provider(
    aws_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SharedProvider | None]:
    """One aws provider process per worker for the plans against `aws_endpoint` (None when
    COUNTERSTACK_SHARED_PROVIDER=0): each plan then skips the provider's start-ups."""
    try:
        logs = tmp_path_factory.mktemp("plan-provider-logs")
        with shared_provider("local", logs, {ENDPOINT_ENV: aws_endpoint}) as shared:
            yield shared
    except CounterStackError as error:
        pytest.fail(str(error), pytrace=False)
