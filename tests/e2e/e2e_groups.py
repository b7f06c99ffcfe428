"""xdist groups of the e2e tests (`--dist=loadgroup`), and the order they start in.

A group runs on one worker. The tests that only read a stack share one (`SHARED_STACK`); every
other e2e module is its own group. Long groups start first, so neither core idles at the end.
"""

import pytest

SHARED_STACK_GROUP = "shared-stack"
SHARED_STACK = pytest.mark.xdist_group(SHARED_STACK_GROUP)
# Longest first (measured: a shared-stack worker session runs a cycle plus the load and browser
# tests; `up` runs a cycle plus its own account). Groups not named here follow these.
LONGEST_FIRST = (
    SHARED_STACK_GROUP,
    "tests/e2e/test_up.py",
    "tests/e2e/test_teardown.py",
    "tests/e2e/test_killed_apply.py",
)
