"""IAM, enforced on this machine: every AWS call a handler makes is checked against its function's role.

The role is ``enhancer.resources.role_statements`` — the statements the CDK stack builds each role from —
with the emulation's ARNs. A call the role does not allow fails with a real ``ClientError`` (``AccessDenied``,
or the service's ``AccessDeniedException``, as AWS answers it) before it leaves the process.

Why here and not in moto: moto's IAM enforcement (``INITIAL_NO_AUTH_ACTION_COUNT``) matches S3 objects and
SQS queues by ARN, but authorises every DynamoDB and Secrets Manager call against the resource ``*`` (so a
statement scoped to a table ARN never matches) and ignores conditions such as ``s3:prefix`` (so our prefix-
limited ``ListBucket`` is always denied); it is also one switch for the whole server, which the CLI and the
tests' set-up code share with the handlers.

How: a botocore session initializer (``botocore.register_initializer``, the hook Powertools itself uses)
registers two event handlers on every session, hence on every client, made after this module is imported.
``before-parameter-build`` works out the IAM action(s) and resource(s) of the call from its parameters and
decides; ``before-call`` answers a denied call with the service's AccessDenied response instead of sending
it. Who is calling is the invocation running in this thread (``acting_as``, which ``local.functions.invoke``
enters); outside an invocation (the pollers, the CLI, test set-up) calls are the operator's, not checked.
"""

import contextvars
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from enhancer.observability import logger
from enhancer.resources import (
    BUCKETS,
    QUEUES,
    TABLES,
    Statement,
    dlq_name,
    role_statements,
)

ENV_ENFORCE = "LOCAL_IAM"  # "off" turns the check off (a debugging aid; every local path runs with it on)
DEFAULT_ACCOUNT = "123456789012"
ROLE_PREFIX = "doc-enhancer-local-"  # moto's account, when no queue URL names one
PARTITION = "aws"


class InvocationAbandoned(BaseException):
    """Raised into an invocation that ran past its timeout, at its next AWS call: on Lambda the sandbox
    would be frozen or gone, so nothing it does after its deadline may reach AWS. A ``BaseException`` so
    that a handler's ``except Exception`` cannot turn it into more work."""


@dataclass
class Invocation:
    """One running invocation: whose role it has, and whether the runtime has given up on it."""

    function_key: str
    statements: list[Statement]
    timeout_s: float = 60.0
    deadline: float = 0.0  # time.monotonic() at which it times out
    account: str = DEFAULT_ACCOUNT
    region: str = "us-east-1"
    enforced: bool = True
    abandoned: threading.Event = field(default_factory=threading.Event)
    denied: list["Need"] = field(default_factory=list)

    @classmethod
    def of(cls, function_key: str, *, timeout_s: float) -> "Invocation":
        """An invocation of ``function_key`` starting now, with its role for the resources the environment
        names (the names its handlers read)."""
        env = _resource_env()
        return cls(
            function_key=function_key,
            statements=_role_of(function_key, env, _region()),
            timeout_s=timeout_s,
            deadline=time.monotonic() + timeout_s,
            account=_account(dict(env)),
            region=_region(),
            enforced=enforcing(),
        )


_current: contextvars.ContextVar[Invocation | None] = contextvars.ContextVar("local_invocation", default=None)
_pending: contextvars.ContextVar[Invocation | None] = contextvars.ContextVar("local_pending", default=None)


def enforcing() -> bool:
    return os.environ.get(ENV_ENFORCE, "on").lower() not in ("off", "0", "false", "no")


@contextmanager
def acting_as(invocation: Invocation) -> Iterator[Invocation]:
    """AWS calls made in this thread (and in threads started with a copy of this context) are
    ``invocation``'s until the block ends."""
    token = _current.set(invocation)
    try:
        yield invocation
    finally:
        _current.reset(token)


def current() -> Invocation | None:
    return _current.get()


@contextmanager
def starting(invocation: Invocation) -> Iterator[Invocation]:
    """The runtime's side of an invocation: the next ``local.functions.invoke`` of the same function in
    this thread runs as ``invocation`` (its deadline, its role). What runs around that call in the block —
    the test harness's wrappers standing in for the Lambda service — stays the operator's."""
    token = _pending.set(invocation)
    try:
        yield invocation
    finally:
        _pending.reset(token)


def pending(function_key: str) -> Invocation | None:
    """The invocation ``starting`` announced for ``function_key`` in this thread, if any."""
    invocation = _pending.get()
    return invocation if invocation is not None and invocation.function_key == function_key else None


# --- the role, with the emulation's ARNs --------------------------------------------------------------------


@dataclass(frozen=True)
class LocalArns:
    """``enhancer.resources.ResourceArns`` for the resources named in the handlers' environment."""

    env: tuple[tuple[str, str], ...]
    region: str
    account: str
    partition: str = PARTITION

    def _env(self, name: str) -> str:
        return dict(self.env).get(name, "")

    def bucket(self, key: str) -> str:
        spec = next(b for b in BUCKETS if b.key == key)
        return f"arn:{self.partition}:s3:::{self._env(spec.env_var)}"

    def table(self, key: str) -> str:
        spec = next(t for t in TABLES if t.key == key)
        return table_arn(self.region, self.account, self._env(spec.env_var))

    def queue(self, key: str) -> str:
        spec = next(q for q in QUEUES if q.key == key)
        return queue_arn(self.region, self.account, self._env(spec.env_var).rsplit("/", 1)[-1])

    def dead_letter_queue(self, key: str) -> str:
        return queue_arn(self.region, self.account, dlq_name(self._env("STAGE"), key))

    def llm_secret(self) -> str:
        return secret_arn(self.region, self.account, self._env("LLM_API_KEYS_SECRET") or "unset")


def table_arn(region: str, account: str, name: str) -> str:
    return f"arn:{PARTITION}:dynamodb:{region}:{account}:table/{name}"


def queue_arn(region: str, account: str, name: str) -> str:
    return f"arn:{PARTITION}:sqs:{region}:{account}:{name}"


def secret_arn(region: str, account: str, secret_id: str) -> str:
    return (
        secret_id
        if secret_id.startswith("arn:")
        else f"arn:{PARTITION}:secretsmanager:{region}:{account}:secret:{secret_id}"
    )


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def _account(env: dict[str, str]) -> str:
    """The account in the queue URLs (``…/{account}/{name}``), which is the emulation's."""
    for spec in QUEUES:
        parts = urlsplit(env.get(spec.env_var, "")).path.strip("/").split("/")
        if len(parts) == 2 and parts[0].isdigit():
            return parts[0]
    return DEFAULT_ACCOUNT


def _resource_env() -> tuple[tuple[str, str], ...]:
    names = [b.env_var for b in BUCKETS] + [t.env_var for t in TABLES] + [q.env_var for q in QUEUES]
    names += ["STAGE", "LLM_API_KEYS_SECRET", "LLM_PROVIDER", "OCR_ENGINE"]
    return tuple((name, os.environ.get(name, "")) for name in names)


@lru_cache(maxsize=64)
def _role_of(function_key: str, env: tuple[tuple[str, str], ...], region: str) -> list[Statement]:
    values = dict(env)
    arns = LocalArns(env=env, region=region, account=_account(values))
    # Like the stack: the Bedrock grants exist only when Bedrock is the provider, Textract's only when it is
    # the OCR engine (``auto`` is RapidOCR off Lambda).
    return role_statements(
        function_key,
        arns,
        models=values.get("LLM_PROVIDER") == "bedrock",
        textract=(values.get("OCR_ENGINE") or "auto").lower() == "textract",
    )


# --- what a call needs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Need:
    """One permission a call needs: an action on a resource, with the condition keys the request sets."""

    action: str
    resource: str
    s3_prefix: str | None = None


_SERVICE_PREFIX = {"bedrock-runtime": "bedrock", "monitoring": "cloudwatch"}
_S3_ACTIONS = {
    "HeadObject": "GetObject",
    "GetObject": "GetObject",
    "PutObject": "PutObject",
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "DeleteObject": "DeleteObject",
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "HeadBucket": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "ListMultipartUploads": "ListBucketMultipartUploads",
}
_SQS_BATCH = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}
_DDB_TRANSACT = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
_MODEL_ACTIONS = {
    "Converse": "InvokeModel",
    "InvokeModel": "InvokeModel",
    "ConverseStream": "InvokeModelWithResponseStream",
    "InvokeModelWithResponseStream": "InvokeModelWithResponseStream",
}


def needs(service: str, operation: str, params: dict[str, Any], region: str, account: str) -> list[Need]:
    """The permissions AWS checks for ``operation`` with ``params`` (the calls this project makes, by
    their documented IAM actions; any other operation needs ``{service}:{operation}`` on ``*``)."""
    prefix = _SERVICE_PREFIX.get(service, service)
    if service == "s3":
        return _s3_needs(operation, params)
    if service == "sqs":
        action = f"sqs:{_SQS_BATCH.get(operation, operation)}"
        if "QueueUrl" in params:
            return [
                Need(
                    action, queue_arn(region, account, str(params["QueueUrl"]).rstrip("/").rsplit("/", 1)[-1])
                )
            ]
        if "QueueName" in params:
            return [Need(action, queue_arn(region, account, str(params["QueueName"])))]
        return [Need(action, "*")]
    if service == "dynamodb":
        return _dynamodb_needs(operation, params, region, account)
    if service == "secretsmanager" and "SecretId" in params:
        return [Need(f"secretsmanager:{operation}", secret_arn(region, account, str(params["SecretId"])))]
    if service == "bedrock-runtime" and "modelId" in params:
        return [
            Need(
                f"bedrock:{_MODEL_ACTIONS.get(operation, operation)}",
                _model_arn(str(params["modelId"]), region, account),
            )
        ]
    return [Need(f"{prefix}:{operation}", "*")]


def _s3_needs(operation: str, params: dict[str, Any]) -> list[Need]:
    bucket = str(params.get("Bucket", "*"))
    action = f"s3:{_S3_ACTIONS.get(operation, operation)}"
    if operation == "CopyObject":
        source = params.get("CopySource")
        if isinstance(source, dict):
            source = f"{source.get('Bucket')}/{source.get('Key')}"
        return [
            Need("s3:PutObject", f"arn:{PARTITION}:s3:::{bucket}/{params.get('Key', '')}"),
            Need("s3:GetObject", f"arn:{PARTITION}:s3:::{str(source).lstrip('/').split('?')[0]}"),
        ]
    if operation == "DeleteObjects":
        keys = [o.get("Key", "") for o in (params.get("Delete") or {}).get("Objects", [])]
        return [Need("s3:DeleteObject", f"arn:{PARTITION}:s3:::{bucket}/{key}") for key in keys]
    if action == "s3:ListBucket":
        return [Need(action, f"arn:{PARTITION}:s3:::{bucket}", s3_prefix=str(params.get("Prefix", "")))]
    if "Key" in params:
        return [Need(action, f"arn:{PARTITION}:s3:::{bucket}/{params['Key']}")]
    return [Need(action, f"arn:{PARTITION}:s3:::{bucket}")]


def _dynamodb_needs(operation: str, params: dict[str, Any], region: str, account: str) -> list[Need]:
    def arn(name: str) -> str:
        return table_arn(region, account, name)

    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [Need(f"dynamodb:{operation}", arn(name)) for name in params.get("RequestItems", {})]
    if operation in ("TransactWriteItems", "TransactGetItems"):
        found = []
        for item in params.get("TransactItems", []):
            for kind, body in item.items():
                action = "GetItem" if operation == "TransactGetItems" else _DDB_TRANSACT.get(kind, kind)
                found.append(Need(f"dynamodb:{action}", arn(str(body.get("TableName", "")))))
        return found
    if "TableName" not in params:
        return [Need(f"dynamodb:{operation}", "*")]
    resource = arn(str(params["TableName"]))
    if params.get("IndexName"):
        resource = f"{resource}/index/{params['IndexName']}"
    return [Need(f"dynamodb:{operation}", resource)]


def _model_arn(model_id: str, region: str, account: str) -> str:
    if model_id.startswith("arn:"):
        return model_id
    # A cross-region inference profile id starts with its geography (us., eu., apac., global.).
    if re.match(r"^(us|eu|apac|us-gov|global)\.", model_id):
        return f"arn:{PARTITION}:bedrock:{region}:{account}:inference-profile/{model_id}"
    return f"arn:{PARTITION}:bedrock:{region}::foundation-model/{model_id}"


# --- evaluation ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _pattern(glob: str, *, ignore_case: bool) -> re.Pattern[str]:
    """IAM's wildcards: ``*`` any run of characters, ``?`` one character; nothing else is special."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(body, re.IGNORECASE if ignore_case else 0)


def allows(statements: list[Statement], need: Need) -> bool:
    """Whether an Allow statement covers ``need`` (our roles have no Deny and no other condition)."""
    for statement in statements:
        if not any(_pattern(a, ignore_case=True).fullmatch(need.action) for a in statement.actions):
            continue
        if not any(_pattern(r, ignore_case=False).fullmatch(need.resource) for r in statement.resources):
            continue
        if statement.s3_prefix is not None and (
            need.s3_prefix is None
            or not _pattern(statement.s3_prefix, ignore_case=False).fullmatch(need.s3_prefix)
        ):
            continue
        return True
    return False


# --- the botocore hooks -------------------------------------------------------------------------------------

_DENIED = "enhancer_local_iam_denied"
_ABANDONED = "enhancer_local_iam_abandoned"
_ERROR_CODES = {"s3": ("AccessDenied", 403), "sqs": ("AccessDenied", 403)}  # others: AccessDeniedException


def _decide(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
    invocation = _current.get()
    if invocation is None:
        return
    if invocation.abandoned.is_set():
        raise InvocationAbandoned(f"{invocation.function_key} ran past its timeout; its AWS calls stop here")
    if not invocation.enforced:
        return
    service = str(model.service_model.service_name)
    if service == "sts" and model.name == "GetCallerIdentity":
        return  # always allowed, even under an explicit Deny
    region = str(context.get("client_region") or invocation.region)
    for need in needs(service, model.name, params, region, invocation.account):
        if not allows(invocation.statements, need):
            message = (
                f"User: arn:{PARTITION}:sts::{invocation.account}:assumed-role/{ROLE_PREFIX}"
                f"{invocation.function_key}/{invocation.function_key} is not authorized to perform: "
                f"{need.action} on resource: {need.resource} because no identity-based policy allows the "
                f"{need.action} action"
            )
            invocation.denied.append(need)
            logger.warning(
                "local IAM denied a call", extra={"function": invocation.function_key, "reason": message}
            )
            context[_DENIED] = (service, message)
            return


def _answer_denied(
    model: Any, context: dict[str, Any], **_: Any
) -> tuple[AWSResponse, dict[str, Any]] | None:
    denied = context.get(_DENIED)
    if denied is None:
        return None
    service, message = denied
    code, status = _ERROR_CODES.get(service, ("AccessDeniedException", 400 if service == "dynamodb" else 403))
    response = AWSResponse("https://iam.local/", status, HTTPHeaders(), _EmptyBody())
    parsed = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 0},
    }
    return response, parsed


class _EmptyBody:
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield b""


def _register(events: Any) -> None:
    """``events``: a botocore session (what initializers receive) or a boto3 session's ``events``."""
    events.register("before-parameter-build", _decide, unique_id="enhancer-local-iam-decide")
    events.register("before-call", _answer_denied, unique_id="enhancer-local-iam-answer")


def install() -> None:
    """Hook every botocore session made from now on, and boto3's default session (idempotent)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        botocore.register_initializer(_register)
        if boto3.DEFAULT_SESSION is not None:  # made before this module was imported
            _register(boto3.DEFAULT_SESSION.events)
        _installed = True


_installed = False
_install_lock = threading.Lock()
