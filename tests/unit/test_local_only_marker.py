"""The local_only marker: a reason is required, and on AWS the test is skipped with it."""

from dataclasses import dataclass, field

import pytest

from counterstack.harness.local_only import skip_local_only

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


def test_a_test_using_a_local_only_fixture_unmarked_is_a_collection_error():
    unmarked = item(pytest.mark.account)
    unmarked.fixturenames = ["account", "local_account"]
    with pytest.raises(pytest.UsageError, match="test_y: uses the local-only local_account"):
        skip_local_only([unmarked], on_aws=False, local_fixtures={"local_account"})


def test_a_marked_test_may_use_a_local_only_fixture():
    marked = item(pytest.mark.local_only(reason="the local account's own behaviour"))
    marked.fixturenames = ["local_account"]
    skip_local_only([marked], on_aws=True, local_fixtures={"local_account"})
    assert skip_reasons(marked) == ["local only: the local account's own behaviour"]
