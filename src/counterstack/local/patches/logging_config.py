"""A function's LoggingConfig, kept and answered as Lambda does.

moto drops `LoggingConfig` from CreateFunction and UpdateFunctionConfiguration and answers none.
Lambda keeps it and answers it, `{"LogFormat": "Text", "LogGroup": "/aws/lambda/<name>"}` when
none was given, with both log levels `INFO` by default once the format is JSON. The local runtime
reads it to start the runtime client with the variables Lambda sets for it
(`AWS_LAMBDA_LOG_FORMAT`, `AWS_LAMBDA_LOG_LEVEL`) and to write its own lines in that format.
https://docs.aws.amazon.com/lambda/latest/api/API_LoggingConfig.html
"""

from __future__ import annotations

import functools
from typing import Any

from moto.awslambda.models import LambdaFunction

LEVELS = ("ApplicationLogLevel", "SystemLogLevel")


def merged(current: dict | None, given: dict | None, function_name: str) -> dict:
    """The LoggingConfig after applying `given` to `current` (or to Lambda's default)."""
    config = dict(current or {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{function_name}"})
    config.update(given or {})
    for level in LEVELS:
        if config["LogFormat"] == "JSON":
            config.setdefault(level, "INFO")
        else:  # levels apply to JSON logs only
            config.pop(level, None)
    return config


def install() -> None:
    """Keep LoggingConfig on create and update, answer it in the configuration (idempotent)."""
    if getattr(LambdaFunction.__init__, "__logging_config__", False):
        return
    init = LambdaFunction.__init__
    get_configuration = LambdaFunction.get_configuration
    update_configuration = LambdaFunction.update_configuration

    @functools.wraps(init)
    def init_with_logging(self: Any, account_id: str, spec: dict, *args: Any, **kwargs: Any):
        init(self, account_id, spec, *args, **kwargs)
        self.logging_config = merged(None, spec.get("LoggingConfig"), self.function_name)

    @functools.wraps(get_configuration)
    def configuration_with_logging(self: Any, *args: Any, **kwargs: Any) -> dict:
        config = get_configuration(self, *args, **kwargs)
        config["LoggingConfig"] = dict(getattr(self, "logging_config", None) or {})
        return config

    @functools.wraps(update_configuration)
    def update_with_logging(self: Any, config_updates: dict[str, Any]) -> dict:
        if "LoggingConfig" in config_updates:
            current = getattr(self, "logging_config", None)
            self.logging_config = merged(
                current, config_updates["LoggingConfig"], self.function_name
            )
        return update_configuration(self, config_updates)

    init_with_logging.__logging_config__ = True  # type: ignore[attr-defined]
    LambdaFunction.__init__ = init_with_logging  # type: ignore[method-assign]
    LambdaFunction.get_configuration = configuration_with_logging  # type: ignore[method-assign]
    LambdaFunction.update_configuration = update_with_logging  # type: ignore[method-assign]
