"""The mark of what a test run made: the tag `counterstack:ephemeral=<prefix>`, read per kind.

The sweeper deletes only what carries it, so a stack made by hand (or by the live tree) under a
matching name is never touched. Ephemeral stacks get it through the provider's default tags;
stacks tests build with boto3 put it on at creation (`tag_list`, `tag_map`). What takes no tags
is reached through a tagged parent and goes with it: a KMS alias through its key, an API's
routes, integrations and stages through the API, a role's inline policies through the role, a
function's permissions through the function, a topic's subscriptions through the topic.
"""

from __future__ import annotations

from counterstack.harness.inventory import ClientFactory, Resource

EPHEMERAL_TAG = "counterstack:ephemeral"


def tag_list(value: str) -> list[dict[str, str]]:
    """The mark as IAM, DynamoDB, SNS and CloudWatch take tags at creation."""
    return [{"Key": EPHEMERAL_TAG, "Value": value}]


def tag_map(value: str) -> dict[str, str]:
    """The mark as Lambda, CloudWatch Logs and API Gateway take tags at creation."""
    return {EPHEMERAL_TAG: value}


def mark_of(client: ClientFactory, resource: Resource) -> str | None:
    """The value of the resource's mark (its parent's, for what takes no tags); None if none."""
    return tags_of(client, resource).get(EPHEMERAL_TAG)


def tags_of(client: ClientFactory, resource: Resource) -> dict[str, str]:
    """The resource's tags as a map, read the way its service keeps them."""
    kind = resource.kind
    if kind == "cloudwatch alarm":
        pairs = client("cloudwatch").list_tags_for_resource(ResourceARN=resource.arn)["Tags"]
    elif kind == "sns topic":
        pairs = client("sns").list_tags_for_resource(ResourceArn=resource.id)["Tags"]
    elif kind == "kms alias":  # an alias takes no tags: its key carries them
        if not resource.id:
            return {}
        listed = client("kms").list_resource_tags(KeyId=resource.id)["Tags"]
        return {pair["TagKey"]: pair["TagValue"] for pair in listed}
    elif kind == "http api":
        return client("apigatewayv2").get_api(ApiId=resource.id).get("Tags", {})
    elif kind == "lambda function":
        return client("lambda").list_tags(Resource=resource.arn)["Tags"]
    elif kind == "log group":
        return client("logs").list_tags_for_resource(resourceArn=resource.arn).get("tags", {})
    elif kind == "iam role":
        pairs = client("iam").list_role_tags(RoleName=resource.name)["Tags"]
    elif kind == "dynamodb table":
        pairs = client("dynamodb").list_tags_of_resource(ResourceArn=resource.arn)["Tags"]
    else:
        raise ValueError(f"no tags known for {kind!r}")
    return {pair["Key"]: pair["Value"] for pair in pairs}


def mark(client: ClientFactory, resource: Resource, value: str) -> None:
    """Put the mark back on a resource that lost it (an adopted stack takes the live tree's
    tags): only a test may do this, on objects it made itself."""
    kind = resource.kind
    if kind == "cloudwatch alarm":
        client("cloudwatch").tag_resource(ResourceARN=resource.arn, Tags=tag_list(value))
    elif kind == "sns topic":
        client("sns").tag_resource(ResourceArn=resource.id, Tags=tag_list(value))
    elif kind == "kms alias":
        tags = [{"TagKey": EPHEMERAL_TAG, "TagValue": value}]
        client("kms").tag_resource(KeyId=resource.id, Tags=tags)
    elif kind == "http api":
        client("apigatewayv2").tag_resource(ResourceArn=resource.arn, Tags=tag_map(value))
    elif kind == "lambda function":
        client("lambda").tag_resource(Resource=resource.arn, Tags=tag_map(value))
    elif kind == "log group":
        client("logs").tag_resource(resourceArn=resource.arn, tags=tag_map(value))
    elif kind == "iam role":
        client("iam").tag_role(RoleName=resource.name, Tags=tag_list(value))
    elif kind == "dynamodb table":
        client("dynamodb").tag_resource(ResourceArn=resource.arn, Tags=tag_list(value))
    else:
        raise ValueError(f"no tags known for {kind!r}")
