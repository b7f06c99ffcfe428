"""The import order of src/counterstack holds (docs/layout.md): each layer imports only below it.

cli -> commands -> adopt / harness / drift -> terragrunt / local -> the bottom layer.
Packages of one layer never import each other (`local` never imports `terragrunt`, `adopt` never
imports `harness`), and nothing in the product imports the test suite. Every import counts,
including those inside functions, so a late import cannot hide a dependency.
"""

import ast
from pathlib import Path

import pytest

from counterstack.paths import REPO_ROOT

pytestmark = pytest.mark.unit

PACKAGE_DIR = REPO_ROOT / "src" / "counterstack"
TESTS_DIR = REPO_ROOT / "tests"
# First name under counterstack -> layer; a higher layer may import a lower one, never the reverse.
LAYERS = {
    "cli": 4,  # the entry point: it registers every command
    "commands": 3,
    "adopt": 2,
    "promote": 2,
    "harness": 2,
    "drift": 2,
    "terragrunt": 1,
    "local": 1,
    "build": 0,
    "terraform_cli": 0,
    "errors": 0,
    "paths": 0,
    "seed": 0,
    "credentials": 0,
    "page": 0,
    "hcl_syntax": 0,
    "plan_json": 0,
    "preflight": 0,
}
BOTTOM = 0  # small shared helpers: they may import each other


def imported_modules(source: str, module: str) -> list[str]:
    """Every module `source` (the text of `module`) imports, relative imports resolved."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: -node.level]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            found.append(prefix)
            # `from counterstack import local` imports the package `counterstack.local`
            found += [f"{prefix}.{alias.name}" for alias in node.names if prefix == "counterstack"]
    return found


def suite_module_names() -> set[str]:
    """Top-level names the test suite's own modules can be imported by (conftest, helpers)."""
    return {"tests"} | {path.stem for path in TESTS_DIR.rglob("*.py")}


def unit_of(module: str) -> str | None:
    """The layer unit of a counterstack module: its first name under the package."""
    parts = module.split(".")
    if parts[0] != "counterstack" or len(parts) < 2:
        return None
    return parts[1]


def violations(module: str, source: str, test_names: set[str]) -> list[str]:
    """What `module` imports against the order, one line each."""
    problems = []
    own = unit_of(module)
    for imported in imported_modules(source, module):
        top = imported.split(".")[0]
        if top in test_names:
            problems.append(f"{module} imports {imported} from the test suite")
            continue
        target = unit_of(imported)
        if target is None or target == own:
            continue
        if target not in LAYERS:
            problems.append(f"{module} imports {imported}: give counterstack.{target} a layer")
        elif own not in LAYERS:
            problems.append(f"{module}: give counterstack.{own} a layer in LAYERS")
        elif LAYERS[target] > LAYERS[own] or (
            LAYERS[target] == LAYERS[own] and LAYERS[own] != BOTTOM
        ):
            problems.append(
                f"{module} (layer {LAYERS[own]}) imports {imported} (layer {LAYERS[target]})"
            )
    return problems


def package_modules() -> dict[str, str]:
    """Module name -> source of every module of the product."""
    modules = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = [*parts[:-1], "__init__"]  # relative imports resolve from the package
        modules[".".join(parts)] = path.read_text()
    return modules


def test_every_package_of_the_product_has_a_layer():
    units = {unit_of(module) for module in package_modules()} - {"__init__"}
    assert units <= set(LAYERS), f"place these in LAYERS: {sorted(units - set(LAYERS))}"


def test_the_product_imports_in_layer_order_and_never_from_the_tests():
    test_names = suite_module_names()
    problems = [
        problem
        for module, source in package_modules().items()
        for problem in violations(module, source, test_names)
    ]
    assert problems == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        (
            "counterstack.local.dispatch",
            "def later():\n    from counterstack.harness.stack import ephemeral_stack\n",
            "counterstack.local.dispatch (layer 1) imports counterstack.harness.stack (layer 2)",
        ),
        (
            "counterstack.adopt.discover",
            "from counterstack.harness import target\n",
            "counterstack.adopt.discover (layer 2) imports counterstack.harness (layer 2)",
        ),
        (
            "counterstack.local.client",
            "from ..terragrunt import tree\n",
            "counterstack.local.client (layer 1) imports counterstack.terragrunt (layer 1)",
        ),
        (
            "counterstack.drift",
            "import account_helpers\n",
            "counterstack.drift imports account_helpers from the test suite",
        ),
        (
            "counterstack.build",
            "from counterstack import commands\n",
            "counterstack.build (layer 0) imports counterstack.commands (layer 3)",
        ),
    ],
)
def test_the_check_catches_an_import_against_the_order(module, source, expected):
    """The check can fail: each of these imports breaks the order and is named."""
    assert expected in violations(module, source, suite_module_names())


def test_imports_down_the_order_pass():
    source = (
        "from counterstack.terragrunt.tree import copy_tree\n"
        "from counterstack.local.client import ACCOUNT_ID\n"
        "from counterstack.errors import CounterStackError\n"
        "from . import stack\n"
    )
    assert violations("counterstack.harness.plan", source, suite_module_names()) == []


def test_the_suite_names_are_found():
    assert {"conftest", "account_helpers", "terraform_runner"} <= suite_module_names()
    assert Path(__file__).stem in suite_module_names()
