"""E-mail subscriptions stay pending confirmation, as SNS keeps them until the link is followed.

moto confirms every subscription at once, so an e-mail subscription would look confirmed and a
stack could pass here while its owner never got a single alarm. SNS sends the address a
confirmation mail and delivers nothing until it is followed (nobody can, offline).
https://docs.aws.amazon.com/sns/latest/dg/sns-email-notifications.html
"""

from __future__ import annotations

import functools
from typing import Any

from moto.sns.models import SNSBackend

PENDING_PROTOCOLS = ("email", "email-json")


def install() -> None:
    """Leave e-mail subscriptions pending confirmation (idempotent)."""
    subscribe = SNSBackend.subscribe
    if getattr(subscribe, "__email_pending__", False):
        return

    @functools.wraps(subscribe)
    def subscribe_pending(self: Any, topic_arn: str, endpoint: str, protocol: str) -> Any:
        subscription = subscribe(self, topic_arn, endpoint, protocol)
        if protocol in PENDING_PROTOCOLS:
            subscription.attributes["PendingConfirmation"] = "true"
            subscription.attributes["ConfirmationWasAuthenticated"] = "false"
        return subscription

    subscribe_pending.__email_pending__ = True  # type: ignore[attr-defined]
    SNSBackend.subscribe = subscribe_pending  # type: ignore[method-assign]
