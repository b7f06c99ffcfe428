"""How xdist spreads the suite over workers: groups that each run on one worker, longest first.

A group is a test module (loadscope's unit), except the e2e modules that read the shared stack
with the HTTP client: they are one group, `shared-stack`, so one worker applies that stack once.
The browser tests read the same stack but are their own group: with two workers, a second apply
of it there (the `shared_stack` fixture is per worker session) keeps both cores busy, where one
group would leave one core idle for a minute; a serial run applies it once. Long groups start
first (xdist's own reorder would start the groups with the most tests first, leaving the long
stacks for last).

Why not `--dist=loadgroup` with `xdist_group` marks: pytest-xdist 3.8 tags the group onto
`item._nodeid`, which pytest 9 no longer reads, so the marks are silently ignored there and the
group's tests are spread one by one. Grouping by module path in the scheduler works on both.
"""

from xdist.scheduler import LoadScopeScheduling

SHARED_STACK = "shared-stack"
SHARED_STACK_MODULES = ("tests/e2e/test_stack_faults.py", "tests/e2e/test_visitors.py")
# Longest first, from `pytest -m e2e -n 2 --durations`: the two adoption variants (a seed stack,
# an adoption apply, a re-plan and a destroy each: 90-110 s); a cycle plus Chromium; a cycle plus
# the load and fault tests; `up` (a cycle, its own account); three inner pytest sessions; a
# cycle; half an apply. Other e2e groups follow, then everything else.
LONGEST_FIRST = (
    "tests/live/test_promotion_proofs.py",  # dev and prod promoted, again, and renamed: ~6 min
    "tests/e2e/test_up_interrupts.py",  # eight interrupted runs of `up` or pytest: ~170 s
    "tests/e2e/test_adopt_flat_root.py",
    "tests/e2e/test_adopt_console.py",
    "tests/e2e/test_browser.py",
    "tests/e2e/test_alarms.py",
    SHARED_STACK,
    "tests/e2e/test_up.py",
    "tests/e2e/test_shared_provider.py",
    "tests/e2e/test_teardown.py",
    "tests/e2e/test_killed_apply.py",
)


def group_of(nodeid: str) -> str:
    """The group of a test id: `shared-stack`, or its module's path."""
    module = nodeid.split("::", 1)[0]
    return SHARED_STACK if module in SHARED_STACK_MODULES else module


def start_rank(nodeid: str, is_e2e: bool) -> int:
    group = group_of(nodeid)
    if not is_e2e:
        return len(LONGEST_FIRST) + 1
    return LONGEST_FIRST.index(group) if group in LONGEST_FIRST else len(LONGEST_FIRST)


class GroupScheduling(LoadScopeScheduling):
    """loadscope, with `group_of` as the scope of a test."""

    def _split_scope(self, nodeid: str) -> str:
        return group_of(nodeid)
