"""Answers moto gives that keep Terraform's waiters polling; fixed to what AWS answers once done."""

from counterstack.atomic_dynamodb import make_writes_atomic


def install() -> None:
    """Apply the fixes (idempotent)."""
    make_writes_atomic()
