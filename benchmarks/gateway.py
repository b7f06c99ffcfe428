"""Benchmark of the local account's data plane: GET /visitors through the execute-api gateway.

Deploys the real counter (DynamoDB table, role, function from the project's zip, HTTP API with
`GET /visitors` on stage `prod`, permission) with boto3 into a fresh LocalAccount on a free
loopback port, then measures with keep-alive clients (one `requests.Session` per client thread,
client threads in their own processes so they never share the server's interpreter):

- warm latency: sequential requests on one session, p50/p99 in ms;
- throughput: a bounded number of requests from a few client threads, requests/s, and the p99
  of those requests;
- exactness: 1,000 requests from many threads at once, then the final count must equal the
  number of 200 answers — no lost increments.

`--compare-werkzeug` also serves the same account through werkzeug's threaded development
server (the transport before waitress: a connection per request) and measures it the same way,
side by side in one run. Not a timed test: it prints figures.
`python benchmarks/gateway.py [--compare-werkzeug]`.
"""

import argparse
import json
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory
from urllib.parse import urlsplit, urlunsplit

import requests

from counterstack.build import build_package
from counterstack.local import LocalAccount
from counterstack.local.client import HEALTH_PATH
from counterstack.seed import LAMBDA_TRUST_POLICY

REGION = "eu-west-1"


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
        RoleName="bench-counter", AssumeRolePolicyDocument=LAMBDA_TRUST_POLICY
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


_session = threading.local()


def get(url: str) -> tuple[int, float]:
    """One GET on this thread's keep-alive session; (status, seconds)."""
    session = getattr(_session, "value", None)
    if session is None:
        session = _session.value = requests.Session()
    started = time.perf_counter()
    response = session.get(url, timeout=60)
    return response.status_code, time.perf_counter() - started


def _client_batch(url: str, count: int, threads: int) -> list[tuple[int, float]]:
    """Run in a child process: `count` GETs from `threads` threads; (status, seconds) each."""
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda _: get(url), range(count)))


def load(
    pool: ProcessPoolExecutor, url: str, count: int, threads: int, processes: int
) -> list[tuple[int, float]]:
    """`count` GETs from `processes` client processes with `threads` threads in all."""
    shares = [count // processes + (1 if i < count % processes else 0) for i in range(processes)]
    per_process = max(1, threads // processes)
    batches = pool.map(_client_batch, [url] * processes, shares, [per_process] * processes)
    return [result for batch in batches for result in batch]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@contextmanager
def werkzeug_port(account: LocalAccount) -> Iterator[int]:
    """The account's dispatcher behind werkzeug's threaded server (the old transport)."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args: object) -> None:
            pass

    server = make_server("127.0.0.1", 0, account.dispatcher, threaded=True, request_handler=Quiet)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def on_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.hostname}:{port}"))


def measure(label: str, url: str, args: argparse.Namespace, counter) -> None:
    """Every phase against `url`; prints one block of figures."""
    first = counter()
    sent = 0
    for _ in range(20):  # warm: the first requests start workers (cold starts)
        assert get(url)[0] == 200
    sent += 20

    latencies = []
    for _ in range(args.latency_requests):
        status, seconds = get(url)
        assert status == 200, status
        latencies.append(seconds * 1000)
    sent += args.latency_requests

    with ProcessPoolExecutor(args.processes) as pool:
        # Client imports, and as many function workers as the timed load keeps busy: with fewer
        # warm-up threads than load threads, workers started (cold) inside the timed phase.
        warm_up = 10 * args.throughput_threads
        sent += len(load(pool, url, warm_up, args.throughput_threads, args.processes))
        started = time.perf_counter()
        results = load(pool, url, args.throughput_requests, args.throughput_threads, args.processes)
        elapsed = time.perf_counter() - started
        statuses = {status for status, _ in results}
        assert statuses == {200}, statuses
        sent += args.throughput_requests
        loaded = [seconds * 1000 for _, seconds in results]

        burst = load(pool, url, args.burst_requests, args.burst_threads, args.processes)
        succeeded = sum(1 for status, _ in burst if status == 200)
        sent += args.burst_requests

    counted = counter() - first
    expected = sent - (args.burst_requests - succeeded)
    print(f"[{label}] {url}")
    print(
        f"  warm latency : p50 {statistics.median(latencies):.1f} ms, "
        f"p99 {percentile(latencies, 0.99):.1f} ms ({args.latency_requests} sequential)"
    )
    print(
        f"  throughput   : {args.throughput_requests / elapsed:.0f} req/s, "
        f"p50 {statistics.median(loaded):.1f} ms, p99 {percentile(loaded, 0.99):.1f} ms "
        f"({args.throughput_requests} requests, {args.throughput_threads} client threads)"
    )
    others = sorted({status for status, _ in burst} - {200}) or "none"
    print(
        f"  burst        : {succeeded}/{args.burst_requests} answered 200 "
        f"({args.burst_threads} client threads); other statuses: {others}"
    )
    verdict = "exact" if counted == expected else f"WRONG (expected {expected})"
    print(f"  count        : +{counted} after {sent} requests — {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-requests", type=int, default=500)
    parser.add_argument("--throughput-requests", type=int, default=2000)
    parser.add_argument("--throughput-threads", type=int, default=8)
    parser.add_argument("--burst-requests", type=int, default=1000)
    parser.add_argument("--burst-threads", type=int, default=64)
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument(
        "--compare-werkzeug",
        action="store_true",
        help="also measure the old transport (werkzeug, a connection per request)",
    )
    args = parser.parse_args()

    with TemporaryDirectory() as scratch, LocalAccount(port=0, region=REGION) as account:
        package = build_package(Path(scratch) / "visitor_counter.zip").path.read_bytes()
        url, table = deploy(account, package)
        dynamodb = account.client("dynamodb")

        def counter() -> int:
            item = dynamodb.get_item(TableName=table, Key={"id": {"S": "visitors"}}).get("Item")
            return int(item["count"]["N"]) if item else 0

        print("gateway benchmark: GET /visitors, real handler + DynamoDB, keep-alive clients")
        measure("waitress (keep-alive)", url, args, counter)
        if args.compare_werkzeug:
            with werkzeug_port(account) as port:
                measure("werkzeug (old transport)", on_port(url, port), args, counter)
        health = requests.get(account.endpoint + HEALTH_PATH, timeout=10).json()
        print(f"retried SDK attempts (lost answers): {health['retried_attempts']}")


if __name__ == "__main__":
    main()
