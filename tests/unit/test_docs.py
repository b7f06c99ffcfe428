"""The README fits on two screens, and every link and repository path the docs name exists."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
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


# --- figures the docs quote, counted from the tests and the code they describe ------------------

SECURITY = REPO_ROOT / "SECURITY.md"
TESTS = REPO_ROOT / "tests"
# The module each name of a test file's input tables stands for (tests/modules/test_plan_opt_ins.py
# mixes modules in one table: its rows start with the module's folder constant).
MODULE_CONSTANTS = {
    "DYNAMODB": "dynamodb",
    "LAMBDA": "lambda",
    "HTTP_API": "http-api",
    "ALARMS": "alarms",
}


def _literals(tree: ast.Module) -> dict[str, ast.expr]:
    """Top-level `NAME = <list, tuple or dict literal>` of a test file."""
    return {
        node.targets[0].id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.List | ast.Tuple | ast.Dict)
    }


def _values(node: ast.expr, literals: dict[str, ast.expr]) -> list[ast.expr]:
    """The cases a `parametrize` argument lists: a literal, a module constant, `range(len(X))`."""
    if isinstance(node, ast.Name):
        node = literals[node.id]
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "range":
        return _values(node.args[0].args[0], literals)  # range(len(X))
    if isinstance(node, ast.Dict):
        return list(node.values)
    assert isinstance(node, ast.List | ast.Tuple), ast.dump(node)
    return list(node.elts)


def cases_of(path: Path, wanted: Callable[[str], bool]) -> list[ast.expr | None]:
    """One entry per test case of the wanted test functions of a file: the case's parametrize
    value (for one parametrize), or None for a plain test; several parametrizes multiply."""
    tree = ast.parse(path.read_text())
    literals = _literals(tree)
    cases: list[ast.expr | None] = []
    for node in tree.body:
        if not (isinstance(node, ast.FunctionDef) and wanted(node.name)):
            continue
        found: list[ast.expr | None] = [None]
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call) and getattr(decorator.func, "attr", "") == (
                "parametrize"
            ):
                values = _values(decorator.args[1], literals)
                found = [value for value in values for _ in found]
        cases += found
    return cases


def rejects_input(name: str) -> bool:
    return name.startswith("test_invalid_") and "rejected" in name


def rejected_inputs_by_module() -> dict[str, int]:
    """Plan-time validation cases (`test_invalid_*rejected*`) of tests/modules, per module."""
    counts: dict[str, int] = {}
    for path in sorted((TESTS / "modules").glob("test_plan_*.py")):
        own = path.stem.removeprefix("test_plan_").replace("_", "-")
        own = "examples" if own == "example-complete" else own
        for case in cases_of(path, rejects_input):
            module = own
            if isinstance(case, ast.Tuple) and isinstance(case.elts[0], ast.Name):
                module = MODULE_CONSTANTS.get(case.elts[0].id, own)
            counts[module] = counts.get(module, 0) + 1
    return counts


def security_count(label: str) -> int:
    """The number a "Measured" row of SECURITY.md starts its figure with."""
    found = re.match(r"(\d+)\b", security_row(label))
    assert found, security_row(label)
    return int(found[1])


def security_row(label: str) -> str:
    """The figure cell of SECURITY.md's "Measured" row that starts with `label`."""
    for line in SECURITY.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0].startswith(label):
            return cells[1]
    raise AssertionError(f"SECURITY.md has no row starting {label!r}")


def test_security_counts_every_rejected_terraform_input():
    counts = rejected_inputs_by_module()
    order = ["dynamodb", "lambda", "http-api", "alarms", "identities", "examples"]
    assert sorted(counts) == sorted(order), counts
    parts = ", ".join(
        f"{m} {counts[m]}" if m != "examples" else f"examples' `name_prefix` {counts[m]}"
        for m in order
    )
    expected = f"{sum(counts.values())} ({parts})"
    assert security_row("invalid Terraform inputs") == expected


def test_security_counts_the_rejected_cli_flags():
    cases = cases_of(TESTS / "unit" / "test_cli_options.py", lambda n: n.startswith("test_bad_"))
    assert security_count("invalid CLI flags") == len(cases)


def test_security_counts_the_broken_terragrunt_trees():
    """Each test of the contract checks that breaks a copy of the tree (`tree` fixture) and
    expects the break reported."""
    source = TESTS / "live" / "test_terragrunt_contract.py"
    tree = ast.parse(source.read_text())
    breaking = {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and node.name.startswith("test_")
        and "tree" in [arg.arg for arg in node.args.args]
        and not node.name.endswith("_is_clean")
    }
    cases = cases_of(source, lambda name: name in breaking)
    assert security_count("broken Terragrunt trees") == len(cases)


SKIP_COMMENT = re.compile(r"#\s*checkov:skip=(CKV\w+)")


def test_security_checkov_skips_match_their_declarations():
    """The table lists each skipped check once; the figure counts the declarations, each scanned
    in its module and again in the example that calls it."""
    declared = [
        found
        for folder in ("modules", "examples")
        for path in sorted((REPO_ROOT / folder).rglob("*.tf"))
        for found in SKIP_COMMENT.findall(path.read_text())
    ]
    text = SECURITY.read_text()
    table = text[text.index("### checkov skips") : text.index("## Left to you")]
    listed = re.findall(r"^\| (CKV\w+)", table, re.M)
    assert sorted(listed) == sorted(set(declared)), "the skip table and the declarations differ"
    figure = security_row("checkov")
    assert f"{2 * len(declared)} skipped" in figure, figure
    assert f"{len(declared)} declared skips of {len(set(declared))} checks" in figure, figure


def test_security_leaves_to_you_nothing_the_stack_ships():
    text = SECURITY.read_text()
    left = text[text.index("## Left to you") : text.index("## Reporting")]
    shipped = {"CloudWatch alarms": REPO_ROOT / "modules" / "alarms"}
    for control, proof in shipped.items():
        assert not (proof.exists() and control in left), f"{control} ship: {proof}"


def sentences(text: str) -> list[str]:
    return [" ".join(s.split()) for s in re.split(r"(?<=[.;])\s+|\n\n|\n\|", text)]


EVERYTHING = ("every layer", "every test", "all tests", "everything", "the whole suite")


@pytest.mark.parametrize("doc", DOCS, ids=doc_id)
def test_the_default_run_is_not_called_everything(doc):
    """`pytest -n auto` leaves the slow tests out: a sentence calling it everything says so."""
    wrong = [
        sentence
        for sentence in sentences(prose(doc))
        if "pytest -n auto`" in sentence
        and any(word in sentence for word in EVERYTHING)
        and "slow" not in sentence
    ]
    assert not wrong, f"{doc_id(doc)}: {wrong}"


def test_no_doc_offers_a_command_the_root_refuses():
    """The root admits Terragrunt 1.x only, where `run-all` is gone: `run --all` is the command."""
    root = (REPO_ROOT / "terragrunt.hcl").read_text()
    assert re.search(r'terragrunt_version_constraint\s*=\s*">= 1\.0, < 2\.0"', root)
    offering = [doc_id(doc) for doc in DOCS if "run-all" in doc.read_text()]
    assert not offering, f"`run-all` in {offering}: the root refuses the releases that have it"


def test_readme_starts_with_the_two_commands():
    """The first commands a reader meets: install and run `up`, then the test command."""
    first_block = re.search(r"```bash\n(.*?)```", README.read_text(), re.S)
    assert first_block
    assert first_block[1].splitlines() == [
        "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/counterstack up",
        ".venv/bin/pytest -n auto",
    ]


def _printed_lines(path: Path, function: str | None) -> list[str]:
    """Regexes of the lines `say(...)`, `print(...)` and the alarm lines print in a file."""
    tree = ast.parse(path.read_text())
    scopes = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    if function:
        scopes = [n for n in scopes if n.name == function]
    patterns = []
    for scope in scopes:
        for node in ast.walk(scope):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", "")
            if name not in ("say", "print") or not node.args:
                continue
            argument = node.args[0]
            if name == "print" and not isinstance(argument, ast.JoinedStr):
                continue
            if isinstance(argument, ast.Constant | ast.JoinedStr):
                prefix = "==> " if name == "say" else ""
                patterns += [prefix + line for line in _template(argument).split("\n") if line]
    return patterns


def _template(node: ast.expr) -> str:
    """An f-string as a regex: literal text escaped, each `{...}` any text."""
    if isinstance(node, ast.Constant):
        return re.escape(str(node.value)).replace("\\\n", "\n")
    return "".join(
        re.escape(part.value).replace("\\\n", "\n") if isinstance(part, ast.Constant) else ".*"
        for part in node.values
    )


def test_readme_shows_every_line_up_prints():
    """The README's sample of `counterstack up` on the local target: each line the command
    prints there (its own, and the stack's progress) is in it."""
    text = README.read_text()
    sample = re.search(r"```text\n(.*?)```", text, re.S)
    assert sample
    shown = sample[1].splitlines()
    up = PACKAGE / "commands" / "up.py"
    printed = (
        _printed_lines(up, "run")
        + _printed_lines(up, "deploy_and_serve")
        + ["^" + re.escape(line.split("{")[0]).replace("\\ ", " ") for line in _alarm_labels(up)]
    )
    stack = [p for p in _printed_lines(PACKAGE / "harness" / "stack.py", None) if ".*" not in p]
    aws_only = ("==> checking AWS credentials",)
    missing = [
        pattern
        for pattern in printed + stack
        if not pattern.replace("\\", "").startswith(aws_only)
        and not any(re.search(pattern, line) for line in shown)
    ]
    assert not missing, f"README's sample of `up` lacks lines it prints: {missing}"


def _alarm_labels(up: Path) -> list[str]:
    """The labels of the alarm lines (`Alarms:`, `  alarms:` ...) `alarm_lines` builds."""
    tree = ast.parse(up.read_text())
    function = next(
        n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "alarm_lines"
    )
    labels = []
    for node in ast.walk(function):
        if isinstance(node, ast.JoinedStr) and isinstance(node.values[0], ast.Constant):
            label = str(node.values[0].value)
            if ":" in label:
                labels.append(label[: label.index(":") + 1])
    return labels


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(doc: Path) -> set[str]:
    return {slug(line.lstrip("#")) for line in prose(doc).splitlines() if line.startswith("#")}


def broken_anchors(doc: Path) -> list[str]:
    broken = []
    for target in LINK.findall(prose(doc)):
        if target.startswith(EXTERNAL) or "#" not in target:
            continue
        path, anchor = target.split("#", 1)
        linked = (doc.parent / path) if path else doc
        if linked.suffix == ".md" and linked.is_file() and anchor not in anchors(linked):
            broken.append(target)
    return broken


@pytest.mark.parametrize("doc", DOCS, ids=doc_id)
def test_anchors_resolve(doc):
    broken = broken_anchors(doc)
    assert not broken, f"{doc_id(doc)} links to headings that do not exist: {', '.join(broken)}"


def test_the_anchor_check_sees_headings(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(
        "# Title\n## 2026-12-03: AWS's `runtime` client\n"
        "[a](#title) [b](#2026-12-03-awss-runtime-client) [c](#nope) [d](doc.md#nope-either)\n"
    )
    assert broken_anchors(doc) == ["#nope", "doc.md#nope-either"]


# Words a newcomer cannot know, each once used here without being explained: say what is meant.
JARGON = ("design card", "layout card", "Fabric-style", "local switch", "the seed", "seed's")
READER_PAGES = [*DOCS, REPO_ROOT / "examples" / "complete" / "README.md"]


@pytest.mark.parametrize("doc", READER_PAGES, ids=doc_id)
def test_no_insider_words(doc):
    text = " ".join(doc.read_text().split()).lower()
    used = [word for word in JARGON if word.lower() in text]
    assert not used, f"{doc_id(doc)} uses {used}: say what is meant"
