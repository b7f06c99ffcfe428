"""The README fits on two screens, and every link and repository path the docs name exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from counterstack.paths import REPO_ROOT

pytestmark = pytest.mark.unit

README = REPO_ROOT / "README.md"
README_MAX_LINES = 200
DOCS = [README, REPO_ROOT / "SECURITY.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]

# Backticked text starting with one of these is a path from the repository root...
REPO_PREFIXES = (
    "src/",
    "tests/",
    "modules/",
    "live/",
    "examples/",
    "benchmarks/",
    "docs/",
    "lambda/",
    "web/",
    ".ci/",
    ".github/",
)
# ...and with one of these, a path inside the package, as the docs name its modules.
PACKAGE = REPO_ROOT / "src" / "counterstack"
PACKAGE_PREFIXES = ("local/", "harness/", "terragrunt/", "commands/", "adopt/")
PATTERN_CHARACTERS = ("<", "*", "{")

LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
INLINE_CODE = re.compile(r"(`+)([^`\n]+?)\1(?!`)")
EXTERNAL = ("http://", "https://", "mailto:")


def prose(doc: Path) -> str:
    """The doc without its fenced code blocks: links and paths are checked where a reader
    follows them, not in sample commands and output."""
    lines, fence = [], None
    for line in doc.read_text().splitlines():
        marker = line.lstrip()[:3]
        if fence is None and marker in ("```", "~~~"):
            fence = marker
        elif fence is not None and marker == fence:
            fence = None
        elif fence is None:
            lines.append(line)
    return "\n".join(lines)


def broken_links(doc: Path) -> list[str]:
    broken = []
    for target in LINK.findall(prose(doc)):
        if target.startswith(EXTERNAL) or target.startswith("#"):
            continue
        path = target.split("#", 1)[0]
        if not (doc.parent / path).exists():
            broken.append(target)
    return broken


def missing_paths(doc: Path) -> list[str]:
    missing = []
    for _, text in INLINE_CODE.findall(prose(doc)):
        text = text.strip()
        if any(c.isspace() for c in text) or any(c in text for c in PATTERN_CHARACTERS):
            continue
        if text.startswith(REPO_PREFIXES):
            base = REPO_ROOT
        elif text.startswith(PACKAGE_PREFIXES):
            base = PACKAGE
        else:
            continue
        if not (base / text).exists():
            missing.append(text)
    return missing


def doc_id(doc: Path) -> str:
    return str(doc.relative_to(REPO_ROOT))


def test_readme_fits_on_two_screens():
    lines = len(README.read_text().splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines: move detail into docs/"


@pytest.mark.parametrize("doc", DOCS, ids=doc_id)
def test_relative_links_resolve(doc):
    broken = broken_links(doc)
    assert not broken, f"{doc_id(doc)} links to nothing: {', '.join(broken)}"


@pytest.mark.parametrize("doc", DOCS, ids=doc_id)
def test_repository_paths_exist(doc):
    missing = missing_paths(doc)
    assert not missing, f"{doc_id(doc)} names paths that do not exist: {', '.join(missing)}"


TEST_NAME = re.compile(r"\btest_\w+")


@pytest.mark.parametrize("doc", DOCS, ids=doc_id)
def test_test_names_in_the_docs_exist(doc):
    """A test the docs name is a test module or function of tests/ (renames leave no ghosts)."""
    sources = [path.read_text() for path in (REPO_ROOT / "tests").rglob("*.py")]
    modules = {path.stem for path in (REPO_ROOT / "tests").rglob("test_*.py")}
    missing = sorted(
        name
        for name in set(TEST_NAME.findall(doc.read_text()))
        if name not in modules and not any(f"def {name}(" in text for text in sources)
    )
    assert not missing, f"{doc_id(doc)} names tests that do not exist: {', '.join(missing)}"


def test_the_checks_see_links_and_paths(tmp_path):
    """The parsers find what they must and skip what they must, so an empty list means clean."""
    doc = tmp_path / "doc.md"
    doc.write_text(
        "[a](missing.md) ![b](img/missing.png) [c](https://example.com) [d](#anchor) "
        "[e](doc.md#section) `src/nowhere.py` `local/nowhere/` `live/<env>` `tests/*.py` "
        "`pytest tests/e2e -m smoke` `harness/`\n"
        "```bash\n[f](in-a-fence.md) `src/in-a-fence.py`\n```\n"
    )
    assert broken_links(doc) == ["missing.md", "img/missing.png"]
    assert missing_paths(doc) == ["src/nowhere.py", "local/nowhere/"]
