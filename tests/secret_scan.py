"""Find strings that look like AWS credentials in the repository's files."""

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

# Access key ids (long-term AKIA, temporary ASIA) and 40-character secrets assigned to a
# secret-looking name. Fake values used with the local account ("test") match neither.
ACCESS_KEY_ID = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")
SECRET_KEY = re.compile(
    r"(?i)(secret[_-]?access[_-]?key|aws[_-]?secret)[\"']?\s*[:=]\s*[\"']?"
    r"([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"
)


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    kind: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: looks like an AWS {self.kind}"


def tracked_files(repo: Path) -> list[Path]:
    """Files git tracks plus untracked, non-ignored ones: what a commit could carry."""
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=repo,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [repo / name for name in listing.split("\0") if name and (repo / name).is_file()]


def scan(paths: list[Path]) -> list[Finding]:
    findings = []
    for path in paths:
        try:
            text = path.read_text(errors="ignore")
        except OSError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if ACCESS_KEY_ID.search(line):
                findings.append(Finding(path, number, "access key id"))
            if SECRET_KEY.search(line):
                findings.append(Finding(path, number, "secret access key"))
    return findings
