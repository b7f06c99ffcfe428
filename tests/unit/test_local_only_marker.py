"""The local_only marker: a reason is required, and on AWS the test is skipped with it."""

import subprocess
import sys
from dataclasses import dataclass, field

import pytest

from counterstack.harness.local_only import skip_local_only, unmarked_local_use

pytestmark = pytest.mark.unit


@dataclass
class FakeItem:
    """The part of a pytest Item the marker handling uses."""

    nodeid: str
    marks: list = field(default_factory=list)
    fixturenames: list = field(default_factory=list)

    def get_closest_marker(self, name: str):
        return next((m for m in self.marks if m.name == name), None)

    def add_marker(self, mark) -> None:
        self.marks.append(mark.mark)


def item(*marks) -> FakeItem:
    return FakeItem("tests/account/test_x.py::test_y", [m.mark for m in marks])


def skip_reasons(found: FakeItem) -> list[str]:
    return [m.kwargs["reason"] for m in found.marks if m.name == "skip"]


def test_on_aws_a_local_only_test_is_skipped_with_its_reason():
    marked = item(pytest.mark.local_only(reason="worker processes are local"))
    plain = item(pytest.mark.account)
    skip_local_only([marked, plain], on_aws=True)
    assert skip_reasons(marked) == ["local only: worker processes are local"]
    assert skip_reasons(plain) == []


def test_locally_nothing_is_skipped():
    marked = item(pytest.mark.local_only("worker processes are local"))
    skip_local_only([marked], on_aws=False)
    assert skip_reasons(marked) == []


@pytest.mark.parametrize("on_aws", [True, False])
def test_a_local_only_test_without_a_reason_is_a_usage_error(on_aws):
    with pytest.raises(pytest.UsageError, match="test_y: local_only needs a reason="):
        skip_local_only([item(pytest.mark.local_only)], on_aws=on_aws)


def test_a_test_using_a_local_only_fixture_unmarked_is_refused():
    unmarked = item(pytest.mark.account)
    unmarked.fixturenames = ["account", "local_account"]
    problem = unmarked_local_use(unmarked, {"local_account"})
    assert problem is not None
    assert problem.startswith("tests/account/test_x.py::test_y: uses the local-only local_account")


def test_a_marked_test_may_use_a_local_only_fixture():
    marked = item(pytest.mark.local_only(reason="the local account's own behaviour"))
    marked.fixturenames = ["local_account"]
    assert unmarked_local_use(marked, {"local_account"}) is None


@pytest.mark.slow  # a whole pytest session in a subprocess
def test_collecting_an_unmarked_user_of_a_local_only_fixture_is_a_collection_error(tmp_path):
    """Through pytest itself, under xdist as the nightly runs it: an error, not a test failure."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_uses_local.py").write_text(TESTS)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "1", "-p", "no:cacheprovider", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0, result.stdout + result.stderr
    assert "ERROR collecting test_uses_local.py" in result.stdout
    assert "test_unmarked: uses the local-only local_account" in result.stdout
    assert "passed" not in result.stdout  # the module's marked test never ran either


TESTS = """
import pytest


def test_unmarked(local_account):
    pass


@pytest.mark.local_only(reason="the local account's own")
def test_marked(local_account):
    pass
"""


CONFTEST = """
import pytest

from counterstack.harness.local_only import unmarked_local_use


def pytest_configure(config):
    config.addinivalue_line("markers", "local_only(reason): local account only")


@pytest.fixture
def local_account():
    return "local"


@pytest.hookimpl(wrapper=True)
def pytest_pycollect_makeitem(collector, name, obj):
    items = yield
    for found in items if isinstance(items, list) else [items]:
        problem = found is not None and unmarked_local_use(found, {"local_account"})
        if problem:
            raise collector.CollectError(problem)
    return items
"""
