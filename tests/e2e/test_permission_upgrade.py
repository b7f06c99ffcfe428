"""The per-route invoke permission replaces the per-function one of earlier http-api versions,
and not one request fails while it does.

It earns a stack of its own: one applied with the earlier permission (one per function, on
`<execution_arn>/*/*`), then the current module with the `moved` block its README gives, while a
poller GETs /visitors every 0.2 s through the whole apply. The local account's gateway refuses
(500) a request no statement of the function's policy allows, as AWS does, so a moment without
a matching permission shows as a failed request.
"""

import json
import time

import pytest
import requests
from poller import Poller

from counterstack.harness.stack import assert_no_leaks, destroy, prepare_stack, terraform
from counterstack.paths import EXAMPLE_COMPLETE, MODULES_DIR

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.local_only(
        reason="the proof reads every answer during an apply; the local gateway enforces the "
        "function's resource policy per request, with no propagation delay to wait out"
    ),
]

PERMISSION = 'resource "aws_lambda_permission" "this" {'
# The permission as http-api made it before it was scoped to routes.
PER_FUNCTION_PERMISSION = """resource "aws_lambda_permission" "this" {
  for_each = toset([for route in var.routes : route.function_name])

  statement_id  = substr("AllowInvokeFromHttpApi-${var.name}", 0, 100)
  action        = "lambda:InvokeFunction"
  function_name = each.value
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/*/*"
}
"""


def policy(target, function_name: str) -> list[dict]:
    answer = target.client("lambda").get_policy(FunctionName=function_name)
    return json.loads(answer["Policy"])["Statement"]


def with_per_function_permission(main_tf: str) -> str:
    """http-api's main.tf with its permission as earlier versions declared it."""
    start = main_tf.index(PERMISSION)
    comment = main_tf.rfind("\n\n", 0, start) + 2  # the comment block above the resource
    return main_tf[:comment] + PER_FUNCTION_PERMISSION


def test_the_route_permission_replaces_the_functions_without_a_failed_request(
    target, provider, name_prefix, tmp_path
):
    prefix = name_prefix()
    function = f"{prefix}-visitor-counter"
    tfdir = prepare_stack(EXAMPLE_COMPLETE, target, tmp_path, prefix)
    module_main = tmp_path / "modules" / "http-api" / "main.tf"
    module_main.write_text(with_per_function_permission(module_main.read_text()))
    tf = terraform(tfdir, target, provider)
    initialized = False
    try:
        tf.init(upgrade=False)
        initialized = True
        tf.apply(auto_approve=True)
        url = target.reachable_url(tf.output()["visitors_url"])
        (before,) = policy(target, function)
        assert before["Condition"]["ArnLike"]["AWS:SourceArn"].endswith("/*/*"), before
        assert requests.get(url, timeout=10).status_code == 200

        # The current module, and the moved block its README gives for this upgrade.
        module_main.write_text((MODULES_DIR / "http-api" / "main.tf").read_text())
        (tfdir / "moved.tf").write_text(
            "moved {\n"
            f'  from = module.http_api.aws_lambda_permission.this["{function}"]\n'
            '  to   = module.http_api.aws_lambda_permission.this["GET /visitors"]\n'
            "}\n"
        )
        with Poller(url) as poller:
            time.sleep(1)  # answers before the apply starts: the poller itself works
            answered_before = poller.answered
            tf.apply(auto_approve=True)
            time.sleep(1)

        assert answered_before > 0 and poller.answered > answered_before + 5, poller
        assert poller.failures == []
        (after,) = policy(target, function)  # the old statement is gone, the route's in place
        execution_arn = before["Condition"]["ArnLike"]["AWS:SourceArn"].removesuffix("/*/*")
        assert after["Condition"]["ArnLike"]["AWS:SourceArn"] == (
            f"{execution_arn}/prod/GET/visitors"
        )
        assert after["Sid"] != before["Sid"]
        assert requests.get(url, timeout=10).status_code == 200
    finally:
        if initialized:
            destroy(tf)
        assert_no_leaks(target, prefix)
