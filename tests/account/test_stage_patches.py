"""A stage changes after creation as on AWS (`counterstack.local.patches.stage_tags` and
`deployments_api`): adopting an existing stage sets its throttling, access logs and tags; moto has
no UpdateStage and answers TagResource on a stage ARN with 404."""

import pytest

pytestmark = [
    pytest.mark.account,
    pytest.mark.local_only(reason="checks the local account's patches of moto's stage API"),
]


def test_stage_tags_are_added_read_and_removed_on_the_stage(local_account):
    apigw = local_account.client("apigatewayv2")
    api_id = apigw.create_api(Name="stage-tags-probe", ProtocolType="HTTP")["ApiId"]
    try:
        apigw.create_stage(ApiId=api_id, StageName="prod", Tags={"kept": "1"})
        arn = f"arn:aws:apigateway:{local_account.region}::/apis/{api_id}/stages/prod"

        apigw.tag_resource(ResourceArn=arn, Tags={"unit": "live/prod/http-api"})
        expected = {"kept": "1", "unit": "live/prod/http-api"}
        assert apigw.get_stage(ApiId=api_id, StageName="prod")["Tags"] == expected
        assert apigw.get_tags(ResourceArn=arn)["Tags"] == expected

        apigw.untag_resource(ResourceArn=arn, TagKeys=["kept"])
        assert apigw.get_stage(ApiId=api_id, StageName="prod")["Tags"] == {
            "unit": "live/prod/http-api"
        }
        # The API's own tags still go through moto's tagger, untouched.
        api_arn = f"arn:aws:apigateway:{local_account.region}::/apis/{api_id}"
        apigw.tag_resource(ResourceArn=api_arn, Tags={"api": "yes"})
        assert apigw.get_tags(ResourceArn=api_arn)["Tags"]["api"] == "yes"
    finally:
        apigw.delete_api(ApiId=api_id)


def test_update_stage_sets_throttling_and_access_logs(local_account):
    apigw = local_account.client("apigatewayv2")
    api_id = apigw.create_api(Name="stage-update-probe", ProtocolType="HTTP")["ApiId"]
    try:
        apigw.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True)
        account = f"{local_account.region}:{local_account.account_id}"
        destination = f"arn:aws:logs:{account}:log-group:/aws/x"
        answer = apigw.update_stage(
            ApiId=api_id,
            StageName="prod",
            DefaultRouteSettings={"ThrottlingBurstLimit": 20, "ThrottlingRateLimit": 10.0},
            AccessLogSettings={"DestinationArn": destination, "Format": "$context.requestId"},
        )
        assert answer["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 20
        stage = apigw.get_stage(ApiId=api_id, StageName="prod")
        assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] == 10.0
        assert stage["DefaultRouteSettings"]["DetailedMetricsEnabled"] is False  # merged, kept
        assert stage["AccessLogSettings"]["DestinationArn"] == destination
        assert stage["AutoDeploy"] is True
    finally:
        apigw.delete_api(ApiId=api_id)
