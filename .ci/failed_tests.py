"""Print the failed and errored tests of JUnit XML reports by name, and each report's counts.

pytest's own summaries scroll away above the static checks' output; this is the last thing
`.ci/run` prints, so a red run names what to look at, whichever stage it was in.
"""

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def main(report: str) -> int:
    path = Path(report)
    if not path.is_file():
        print(f"no test report at {path}: the test session did not start")
        return 1
    suites = ET.parse(path).getroot()
    failed = []
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites.iter("testsuite"):
        for key in counts:
            counts[key] += int(suite.get(key, 0))
        for case in suite.iter("testcase"):
            for outcome in ("failure", "error"):
                if case.find(outcome) is not None:
                    name = f"{case.get('classname')}::{case.get('name')}"
                    failed.append(f"{outcome.upper():8} {name}")
    print(", ".join(f"{value} {key}" for key, value in counts.items()), f"(report: {path})")
    for line in failed:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(max(main(report) for report in sys.argv[1:]))
