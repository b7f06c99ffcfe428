"""Bootstrap of one Lambda worker process: import the handler once, then serve invocations.

Run as a script (`python worker.py`) with the unpacked code as its working directory, the
function's environment already set and the handler string in `_HANDLER`, as Lambda's own
bootstrap does. The parent talks to it over a private pipe (fd 1 duplicated before anything can
print); the process's own stdout and stderr are redirected so that a handler writing to them
can never corrupt the protocol. What the handler prints during an invocation is captured and
handed back as that invocation's log.

Frames are a 4-byte big-endian length followed by UTF-8 JSON. Requests:
`{"requestId", "payload", "deadline"}`; replies: `{"ok": bool, "payload": str, "logs": str}`
where a failed invocation's payload is `{"errorMessage", "errorType", "stackTrace"}`.

This module imports nothing from the project: it runs isolated (`python -I -S`) under the
function's environment with `sys.path` as Lambda's: the code root (`/var/task`), then the
runtime's libraries (`LAMBDA_RUNTIME_DIR`: boto3, botocore), then the standard library.
"""

import importlib
import io
import json
import os
import struct
import sys
import time
import traceback

HEADER = struct.Struct(">I")


class Context:
    """The subset of Lambda's context object handlers commonly use."""

    def __init__(self, request_id: str, deadline: float, function_arn: str) -> None:
        self.aws_request_id = request_id
        self._deadline = deadline
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.invoked_function_arn = function_arn
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


class Capture(io.TextIOBase):
    """A text stream that collects what the handler writes during one invocation."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


def error_payload(error: BaseException, error_type: str | None = None) -> dict:
    """The JSON Lambda answers for an unhandled exception."""
    frames = traceback.extract_tb(error.__traceback__)
    return {
        "errorMessage": str(error),
        "errorType": error_type or type(error).__name__,
        "requestId": "",
        "stackTrace": traceback.format_list(frames),
    }


def load_handler(spec: str):
    """Resolve `module.path.function` the way the Python runtime does."""
    module_name, _, function_name = spec.rpartition(".")
    if not module_name:
        raise ValueError(f"Bad handler '{spec}': not enough values to unpack")
    module = importlib.import_module(module_name)
    return getattr(module, function_name)


def read_frame(stream) -> dict | None:
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (size,) = HEADER.unpack(header)
    return json.loads(stream.read(size))


def write_frame(stream, message: dict) -> None:
    data = json.dumps(message).encode()
    stream.write(HEADER.pack(len(data)) + data)
    stream.flush()


def main() -> None:
    channel_out = os.fdopen(os.dup(1), "wb")
    channel_in = os.fdopen(os.dup(0), "rb")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # stray fd-level writes go to stderr, never into the protocol

    sys.path[:0] = [os.environ["LAMBDA_TASK_ROOT"], os.environ["LAMBDA_RUNTIME_DIR"]]
    if os.environ.get("LC_CTYPE") == "C.UTF-8" and os.environ.get("LANG") == "en_US.UTF-8":
        # Python's locale coercion (PEP 538) added it: this machine lacks Lambda's en_US.UTF-8.
        del os.environ["LC_CTYPE"]
    capture = Capture()
    sys.stdout = sys.stderr = capture

    handler, init_error = None, None
    try:
        handler = load_handler(os.environ["_HANDLER"])
    except ImportError as error:  # named after the handler's module, as the runtime does
        init_error = error_payload(error, "Runtime.ImportModuleError")
        module_name = os.environ["_HANDLER"].rpartition(".")[0]
        init_error["errorMessage"] = f"Unable to import module '{module_name}': {error}"
        init_error["stackTrace"] = []
    except AttributeError as error:
        init_error = error_payload(error, "Runtime.HandlerNotFound")
    except Exception as error:
        init_error = error_payload(error, "Runtime.ImportModuleError")
    if init_error is not None:
        print(f"[ERROR] {init_error['errorType']}: {init_error['errorMessage']}")
    init_logs = capture.take()
    write_frame(channel_out, {"ready": True})

    while (request := read_frame(channel_in)) is not None:
        if init_error is not None:
            write_frame(channel_out, {"ok": False, "payload": init_error, "logs": init_logs})
            continue
        context = Context(request["requestId"], request["deadline"], request["functionArn"])
        try:
            event = json.loads(request["payload"]) if request["payload"] else {}
            result = handler(event, context)
        except Exception as error:
            failure = error_payload(error)
            failure["requestId"] = request["requestId"]
            traceback.print_exc()
            reply = {"ok": False, "payload": failure}
        else:
            try:
                reply = {"ok": True, "payload": json.dumps(result)}
            except (TypeError, ValueError) as error:
                failure = error_payload(error, "Runtime.MarshalError")
                failure["errorMessage"] = f"Unable to marshal response: {error}"
                failure["requestId"] = request["requestId"]
                reply = {"ok": False, "payload": failure}
        reply["logs"] = init_logs + capture.take()
        init_logs = ""
        write_frame(channel_out, reply)


if __name__ == "__main__":
    main()
