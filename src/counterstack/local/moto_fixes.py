"""Answers moto gives that keep Terraform's waiters polling; fixed to what AWS answers once done."""


def install() -> None:
    """Apply the fixes (idempotent)."""
