"""Values of the seed's deployment that Python code and tests share (HCL keeps its own copies,
tied to these by tests/unit/test_single_sources.py)."""

import json

# The website origins the counter's API allows (CORS), in the seed's order.
SEED_ORIGINS = ("https://selimcelem.com", "https://www.selimcelem.com")

# The trust policy of the function's execution role: only Lambda may assume it (as JSON, the
# form IAM's CreateRole takes).
LAMBDA_TRUST_POLICY = json.dumps(
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
