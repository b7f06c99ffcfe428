"""An execution environment's bootstrap: hands over to AWS's runtime interface client.

Lambda's python3.12 runtime starts `/var/runtime/bootstrap.py`, which runs `awslambdaric` with
the handler from `_HANDLER`; this does the same. It runs isolated (`python -I -S`) with
`sys.path` as Lambda's: the code (`LAMBDA_TASK_ROOT`), then the runtime's libraries
(`LAMBDA_RUNTIME_DIR`: awslambdaric, boto3, botocore), then the standard library. The file is
named like Lambda's because awslambdaric drops the frames of files named `bootstrap.py` from the
stack traces it reports. It imports nothing from the project.
"""

import os
import sys


def main() -> None:
    sys.path[:0] = [os.environ["LAMBDA_TASK_ROOT"], os.environ["LAMBDA_RUNTIME_DIR"]]
    if os.environ.get("LC_CTYPE") == "C.UTF-8" and os.environ.get("LANG") == "en_US.UTF-8":
        # Python's locale coercion (PEP 538) added it: this machine lacks Lambda's en_US.UTF-8.
        del os.environ["LC_CTYPE"]
    from awslambdaric.__main__ import main as run_runtime_client

    run_runtime_client([sys.argv[0], os.environ["_HANDLER"]])


if __name__ == "__main__":
    main()
