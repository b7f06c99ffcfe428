"""UpdateTable's SSESpecification, applied as DynamoDB applies it.

moto's UpdateTable ignores SSESpecification: a table created without encryption settings (the AWS
owned key) keeps answering no SSEDescription after Terraform switches it to the AWS managed key,
and the provider polls for `ENABLED` until its timeout. Adopting an existing table does exactly
that switch, so the account applies the specification before moto's own update.
"""

from __future__ import annotations

import functools
from typing import Any

from moto.dynamodb.responses import DynamoHandler


def install() -> None:
    """Honour SSESpecification in UpdateTable (idempotent)."""
    update_table = DynamoHandler.update_table
    if getattr(update_table, "__table_sse__", False):
        return

    @functools.wraps(update_table)
    def update_table_with_sse(self: Any) -> Any:
        spec = self.body.get("SSESpecification")
        if spec is not None:
            table = self.dynamodb_backend.get_table(self.body["TableName"])
            if spec.get("Enabled"):
                key = spec.get("KMSMasterKeyId") or table._get_default_encryption_key(
                    self.current_account, self.region
                )
                table.sse_specification = {**spec, "KMSMasterKeyId": key}
            else:
                table.sse_specification = None
        return update_table(self)

    update_table_with_sse.__table_sse__ = True  # type: ignore[attr-defined]
    DynamoHandler.update_table = update_table_with_sse  # type: ignore[method-assign]
