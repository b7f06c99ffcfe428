"""--keep-stack/--reuse-stack: the records of kept stacks and the refusals of the options."""

import re

import pytest

from counterstack.errors import CounterStackError
from counterstack.harness.kept_stacks import (
    KeptStack,
    StackStore,
    account_of,
    stage_options_problem,
)
from counterstack.harness.target import Target

pytestmark = pytest.mark.unit

LOCAL = "http://127.0.0.1:4566 (eu-west-1)"


def test_a_saved_stack_is_found_in_its_account_and_forgotten(tmp_path):
    store = StackStore(tmp_path)
    workdir = store.workdir("examples/complete-1")
    store.save(KeptStack("examples/complete-1", "ct-abc-main-1", workdir, LOCAL))
    assert store.find("examples/complete-1", LOCAL) == KeptStack(
        "examples/complete-1", "ct-abc-main-1", workdir, LOCAL
    )
    assert store.find("examples/complete-2", LOCAL) is None
    store.forget("examples/complete-1")
    assert store.find("examples/complete-1", LOCAL) is None
    assert not workdir.exists()


def test_a_stack_kept_in_another_account_is_refused_by_name(tmp_path):
    store = StackStore(tmp_path)
    store.save(KeptStack("k", "ct-abc-main-1", store.workdir("k"), LOCAL))
    with pytest.raises(
        CounterStackError, match=re.escape("ct-abc-main-1 lives in http://127.0.0.1:4566")
    ):
        store.find("k", "aws (eu-west-1)")


def test_the_account_of_a_target_names_its_endpoint(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    assert account_of(Target("local", "eu-west-1", "http://127.0.0.1:4566")) == LOCAL
    assert account_of(Target("aws", "us-east-1")) == "aws (us-east-1)"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    assert account_of(Target("aws", "eu-west-1")) == LOCAL


@pytest.mark.parametrize(
    ("options", "refusal"),
    [
        ({"keep": True, "workers": True, "account_outlives_run": True}, "drop -n"),
        ({"reuse": True, "workers": True, "account_outlives_run": True}, "drop -n"),
        ({"keep": True, "workers": False, "account_outlives_run": False}, "counterstack account"),
        ({"reuse": True, "workers": False, "account_outlives_run": False}, "counterstack account"),
    ],
)
def test_stage_options_are_refused_where_they_cannot_work(options, refusal):
    problem = stage_options_problem(**{"keep": False, "reuse": False, **options})
    assert problem is not None and refusal in problem


def test_stage_options_are_accepted_in_one_process_on_a_lasting_account():
    assert (
        stage_options_problem(keep=True, reuse=True, workers=False, account_outlives_run=True)
        is None
    )
    assert (
        stage_options_problem(keep=False, reuse=False, workers=True, account_outlives_run=False)
        is None
    )
