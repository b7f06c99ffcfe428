"""Benchmark of the local account's data plane: GET /visitors through the execute-api gateway.

Deploys the real counter (DynamoDB table, role, function from the project's zip, HTTP API with
`GET /visitors` on stage `prod`, permission) with boto3 into a fresh LocalAccount on a free
loopback port, then measures:

- warm latency: sequential requests on one connection-less client, p50/p99 in ms;
- throughput: a bounded number of requests from a few client threads, requests/s;
- exactness: 1,000 requests from many threads at once, then the final count must equal the
  number of 200 answers (and 1,000 if none failed) — no lost increments.

Not a timed test: it prints figures. `python benchmarks/gateway.py [--requests N]`.
"""

import argparse
import http.client
import json
import statistics
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from tempfile import TemporaryDirectory
from urllib.parse import urlsplit

from counterstack.build import build_package
from counterstack.local import LocalAccount

REGION = "eu-west-1"
ASSUME_LAMBDA = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def deploy(account: LocalAccount, package: bytes) -> tuple[str, str]:
    """The stack, deployed with boto3; returns (local /visitors URL, table name)."""
    table = "bench-counter"
    account.client("dynamodb").create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    role = account.client("iam").create_role(
        RoleName="bench-counter", AssumeRolePolicyDocument=ASSUME_LAMBDA
    )["Role"]["Arn"]
    # The function runs with this role's session: like the module's, it may UpdateItem the table.
    table_arn = f"arn:aws:dynamodb:{REGION}:{account.account_id}:table/{table}"
    account.client("iam").put_role_policy(
        RoleName="bench-counter",
        PolicyName="bench-counter",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "dynamodb:UpdateItem", "Resource": table_arn}
                ],
            }
        ),
    )
    function = account.client("lambda").create_function(
        FunctionName="bench-counter",
        Runtime="python3.12",
        Role=role,
        Handler="visitor_counter.handler.handler",
        Code={"ZipFile": package},
        Environment={"Variables": {"TABLE_NAME": table}},
        Timeout=10,
    )
    apis = account.client("apigatewayv2")
    api_id = apis.create_api(Name="bench-counter", ProtocolType="HTTP")["ApiId"]
    integration = apis.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=function["FunctionArn"],
        PayloadFormatVersion="2.0",
    )
    apis.create_route(
        ApiId=api_id,
        RouteKey="GET /visitors",
        Target=f"integrations/{integration['IntegrationId']}",
    )
    apis.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True)
    account.client("lambda").add_permission(
        FunctionName="bench-counter",
        StatementId="apigw",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{account.account_id}:{api_id}/*/*",
    )
    return account.execute_api_url(api_id, "prod", "/visitors"), table


def get(url: str) -> tuple[int, float]:
    """One GET on a fresh connection (as a browser visit would); (status, seconds)."""
    parts = urlsplit(url)
    started = time.perf_counter()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request("GET", parts.path)
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        connection.close()


def _client_batch(url: str, count: int, threads: int) -> list[int]:
    """Run in a child process: `count` GETs from `threads` threads; their statuses."""
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda _: get(url)[0], range(count)))


def load(url: str, count: int, threads: int, processes: int = 2) -> list[int]:
    """`count` GETs from client processes (clients never share the server's interpreter)."""
    shares = [count // processes + (1 if i < count % processes else 0) for i in range(processes)]
    per_process = max(1, threads // processes)
    with ProcessPoolExecutor(processes) as pool:
        batches = pool.map(_client_batch, [url] * processes, shares, [per_process] * processes)
        return [status for batch in batches for status in batch]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-requests", type=int, default=500)
    parser.add_argument("--throughput-requests", type=int, default=1000)
    parser.add_argument("--throughput-threads", type=int, default=8)
    parser.add_argument("--burst-requests", type=int, default=1000)
    parser.add_argument("--burst-threads", type=int, default=64)
    args = parser.parse_args()

    with TemporaryDirectory() as scratch, LocalAccount(port=0, region=REGION) as account:
        package = build_package(Path(scratch) / "visitor_counter.zip").path.read_bytes()
        url, table = deploy(account, package)
        for _ in range(20):  # warm: the first request starts a worker (a cold start)
            assert get(url)[0] == 200
        sent = 20

        latencies = []
        for _ in range(args.latency_requests):
            status, seconds = get(url)
            assert status == 200
            latencies.append(seconds * 1000)
        sent += args.latency_requests

        load(url, 20, 2)  # start the client processes' imports before timing
        sent += 20
        started = time.perf_counter()
        statuses = load(url, args.throughput_requests, args.throughput_threads)
        elapsed = time.perf_counter() - started
        assert set(statuses) == {200}, statuses
        sent += args.throughput_requests

        burst = load(url, args.burst_requests, args.burst_threads)
        succeeded = burst.count(200)
        sent += args.burst_requests
        item = account.client("dynamodb").get_item(TableName=table, Key={"id": {"S": "visitors"}})[
            "Item"
        ]
        final = int(item["count"]["N"])

        print(f"gateway benchmark on {account.endpoint} (GET /visitors, real handler + DynamoDB)")
        print(
            f"warm latency   : p50 {statistics.median(latencies):.1f} ms, "
            f"p99 {percentile(latencies, 0.99):.1f} ms ({args.latency_requests} sequential)"
        )
        print(
            f"throughput     : {args.throughput_requests / elapsed:.0f} req/s "
            f"({args.throughput_requests} requests, {args.throughput_threads} client threads)"
        )
        print(
            f"burst          : {succeeded}/{args.burst_requests} answered 200 "
            f"({args.burst_threads} client threads); other statuses: "
            f"{sorted(set(burst) - {200}) or 'none'}"
        )
        expected = sent - (args.burst_requests - succeeded)
        verdict = "exact" if final == expected else f"WRONG (expected {expected})"
        print(f"final count    : {final} after {sent} requests — {verdict}")


if __name__ == "__main__":
    main()
