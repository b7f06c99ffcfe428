"""Values HCL must repeat (it cannot import Python) stay equal to their one Python definition."""

import hcl2
import pytest
from moto.core import DEFAULT_ACCOUNT_ID

from counterstack.local.client import ACCOUNT_ID
from counterstack.local.provider import ENDPOINT_SERVICES
from counterstack.paths import EXAMPLE_COMPLETE, LIVE_DIR, REPO_ROOT
from counterstack.seed import SEED_ORIGINS

pytestmark = pytest.mark.unit


def hcl_locals(path) -> dict:
    with path.open() as handle:
        parsed = hcl2.load(handle)
    return {key: value for block in parsed["locals"] for key, value in block.items()}


def unquoted(values: list[str]) -> list[str]:
    return [value.strip('"') for value in values]


def test_the_terragrunt_root_points_the_same_services_at_the_local_account():
    """The root's `local_services` renders the provider Terragrunt generates in local mode; the
    harness and the CLI render theirs from ENDPOINT_SERVICES."""
    services = unquoted(hcl_locals(REPO_ROOT / "terragrunt.hcl")["local_services"])
    assert services == list(ENDPOINT_SERVICES)


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_live_environments_allow_the_seed_origins_first(environment):
    """prod allows exactly the seed's origins; dev adds local pages after them."""
    origins = unquoted(hcl_locals(LIVE_DIR / environment / "env.hcl")["cors_allow_origins"])
    assert origins[: len(SEED_ORIGINS)] == list(SEED_ORIGINS)
    if environment == "prod":
        assert origins == list(SEED_ORIGINS)


def test_the_complete_example_defaults_to_the_seed_origins():
    with (EXAMPLE_COMPLETE / "variables.tf").open() as handle:
        variables = hcl2.load(handle)["variable"]
    by_name = {name.strip('"'): body for block in variables for name, body in block.items()}
    assert unquoted(by_name["cors_allow_origins"]["default"]) == list(SEED_ORIGINS)


def test_the_local_account_id_is_motos_and_the_terragrunt_roots():
    """One account id: the client's constant is what moto's STS answers and the root's default."""
    assert ACCOUNT_ID == DEFAULT_ACCOUNT_ID
    root_default = hcl_locals(REPO_ROOT / "terragrunt.hcl")["local_account_id"]
    assert f'"COUNTERSTACK_LOCAL_ACCOUNT_ID", "{ACCOUNT_ID}"' in root_default
