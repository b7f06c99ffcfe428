"""Where the repository's parts live. The CLI and the harness work from a checkout of the repo."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LAMBDA_SOURCE = REPO_ROOT / "lambda" / "visitor_counter"
MODULES_DIR = REPO_ROOT / "modules"
EXAMPLE_COMPLETE = REPO_ROOT / "examples" / "complete"
LIVE_DIR = REPO_ROOT / "live"
BUILD_DIR = REPO_ROOT / "build"
DEFAULT_PACKAGE = BUILD_DIR / "visitor_counter.zip"
WEB_DIR = REPO_ROOT / "web"
