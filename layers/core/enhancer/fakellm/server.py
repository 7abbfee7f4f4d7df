"""A fake LLM HTTP server that speaks enough of three wire formats for the real SDKs.

- OpenAI chat completions: ``POST /v1/chat/completions`` (``response_format`` json_schema)
- Anthropic messages: ``POST /v1/messages`` (``tools`` / ``tool_choice``, ``cache_control`` simulated)
- Bedrock Converse: ``POST /model/{modelId}/converse`` (``toolConfig``, ``cachePoint`` simulated)

Answers are derived from the request: the delimited chapter text gives the summary (first sentences) and
keywords (frequent words); every field of the JSON schema received is filled within its limits (enums
take the first value, lists get items up to ``maxItems``, strings respect ``maxLength``). Usage is about
chars/4. A sliding-window rate limit, like a provider's (``rate_limit`` requests in any ``rate_window_s``,
counted at arrival; requests it answers 429 do not count), answers 429 with the seconds until the oldest
request leaves the window. Faults — latency, 429 with ``retry-after``, 500, timeouts (sleeping past the
client's timeout) and malformed output (invalid JSON, schema-violating JSON) — come from a seeded RNG at
configurable rates and/or a scripted per-request sequence. ``GET /_fake/stats`` and the ``requests``
attribute report what arrived; credentials are never recorded.
"""

import contextlib
import hashlib
import json
import random
import re
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal

from pydantic import BaseModel, Field

from enhancer.httpserver import BackgroundHttpServer
from enhancer.providers.prompts import DATA_CLOSE, DATA_OPEN, SUMMARIES_CLOSE, SUMMARIES_OPEN

Action = Literal["ok", "429", "500", "503", "timeout", "invalid_json", "schema_violation"]
ACTIONS: tuple[str, ...] = ("ok", "429", "500", "503", "timeout", "invalid_json", "schema_violation")
Route = Literal["openai", "anthropic", "bedrock"]

_SECRET_HEADERS = {"authorization", "x-api-key", "x-amz-security-token", "api-key"}
_STOPWORD_TEXT = (
    "the and that this with from have been were which their there these those into about would could "
    "should other than then them they what when where while will your yours also such more most some "
    "only over very each many much does done just like make made using used uses between after before "
    "because being both every first second ignore previous instructions chapter text"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_LIMIT_IN_DESCRIPTION = re.compile(r"at most (\d+) characters")


class FaultPlan(BaseModel):
    """Random fault rates (0..1, checked in this order) and how faults behave."""

    latency_ms: int = Field(default=0, ge=0)
    throttle_rate: float = Field(default=0.0, ge=0, le=1)
    error_rate: float = Field(default=0.0, ge=0, le=1)
    timeout_rate: float = Field(default=0.0, ge=0, le=1)
    malformed_rate: float = Field(default=0.0, ge=0, le=1)
    retry_after_s: float = Field(default=1.0, ge=0, description="sent with every 429")
    timeout_s: float = Field(default=35.0, ge=0, description="how long a 'timeout' request hangs")
    rate_limit: int = Field(
        default=0, ge=0, description="requests admitted in any rate_window_s; 0 = no limit"
    )
    rate_window_s: float = Field(default=60.0, gt=0)
    seed: int = 0


@dataclass
class RecordedRequest:
    route: Route
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    action: str


@dataclass
class _State:
    plan: FaultPlan
    rng: random.Random
    script: deque[str] = field(default_factory=deque)
    requests: list[RecordedRequest] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    prompt_cache: set[str] = field(default_factory=set)
    admitted: deque[float] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)


class FakeLlmServer(BackgroundHttpServer):
    def __init__(self, host: str = "127.0.0.1", port: int = 0, plan: FaultPlan | None = None) -> None:
        plan = plan or FaultPlan()
        self._state = _State(plan=plan, rng=random.Random(plan.seed))
        handler = type("_BoundHandler", (_Handler,), {"state": self._state})
        super().__init__(host, port, handler, name="fake-llm")

    def stop(self) -> None:
        self._state.stopping.set()  # requests held by latency or a timeout fault stop waiting
        super().stop()

    # --- addresses ---------------------------------------------------------------------------------

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    @property
    def bedrock_endpoint_url(self) -> str:
        return self.url

    # --- control -----------------------------------------------------------------------------------

    def script(self, *actions: str) -> None:
        """The next requests get these outcomes, in order; random faults resume afterwards."""
        unknown = [a for a in actions if a not in ACTIONS]
        if unknown:
            raise ValueError(f"unknown actions {unknown}; choose from {ACTIONS}")
        with self._state.lock:
            self._state.script.extend(actions)

    def configure(self, plan: FaultPlan) -> None:
        with self._state.lock:
            self._state.plan = plan
            self._state.rng = random.Random(plan.seed)

    def reset(self) -> None:
        with self._state.lock:
            self._state.script.clear()
            self._state.requests.clear()
            self._state.counts.clear()
            self._state.prompt_cache.clear()
            self._state.admitted.clear()

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._state.lock:
            return list(self._state.requests)

    @property
    def request_count(self) -> int:
        with self._state.lock:
            return len(self._state.requests)

    def stats(self) -> dict[str, Any]:
        return _stats(self._state)


def _stats(state: _State) -> dict[str, Any]:
    with state.lock:
        return {
            "requests": len(state.requests),
            "by_route": dict(Counter(r.route for r in state.requests)),
            "by_action": dict(state.counts),
            "scripted_pending": len(state.script),
        }


class _Handler(BaseHTTPRequestHandler):
    state: _State
    protocol_version = "HTTP/1.1"
    server_version = "FakeLLM/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and demos read the stats endpoint instead of access logs."""

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/_fake/stats":
            self._json(200, _stats(self.state))
        else:
            self._json(404, {"error": {"message": "not found", "type": "not_found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        if path == "/_fake/reset":
            with self.state.lock:
                self.state.script.clear()
                self.state.requests.clear()
                self.state.counts.clear()
                self.state.admitted.clear()
            self._json(200, {"ok": True})
            return
        if path == "/_fake/script":
            actions = [str(a) for a in json.loads(raw or b"[]") if str(a) in ACTIONS]
            with self.state.lock:
                self.state.script.extend(actions)
            self._json(200, {"queued": len(actions)})
            return
        route: Route | None = None
        if path.endswith("/chat/completions"):
            route = "openai"
        elif path.endswith("/v1/messages"):
            route = "anthropic"
        elif path.startswith("/model/") and path.endswith("/converse"):
            route = "bedrock"
        if route is None:
            self._json(404, {"error": {"message": f"no route {path}", "type": "not_found"}})
            return
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._json(400, {"error": {"message": "body is not JSON", "type": "invalid_request_error"}})
            return
        arrived = time.monotonic()
        action, retry_after_s = self._over_the_limit(arrived)
        if action is None:
            action, retry_after_s = self._next_action(), None
        headers = {k.lower(): v for k, v in self.headers.items() if k.lower() not in _SECRET_HEADERS}
        with self.state.lock:
            self.state.requests.append(RecordedRequest(route, path, body, headers, action))
            self.state.counts[action] += 1
            plan = self.state.plan
        if plan.latency_ms:
            self.state.stopping.wait(plan.latency_ms / 1000)
        if action == "timeout":
            self.state.stopping.wait(plan.timeout_s)
        if action in ("429", "500", "503"):
            self._error(route, int(action), plan.retry_after_s if retry_after_s is None else retry_after_s)
            return
        handler = {"openai": _openai, "anthropic": _anthropic, "bedrock": _bedrock}[route]
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._json(200, handler(body, path, action, self.state))

    def _over_the_limit(self, arrived: float) -> tuple[str | None, float | None]:
        """("429", seconds until a place frees) when the sliding window is full, else (None, None) — and the
        request takes its place in the window."""
        with self.state.lock:
            plan, admitted = self.state.plan, self.state.admitted
            if not plan.rate_limit:
                return None, None
            while admitted and admitted[0] <= arrived - plan.rate_window_s:
                admitted.popleft()
            if len(admitted) >= plan.rate_limit:
                return "429", max(admitted[0] + plan.rate_window_s - arrived, 0.001)
            admitted.append(arrived)
            return None, None

    def _next_action(self) -> str:
        with self.state.lock:
            if self.state.script:
                return self.state.script.popleft()
            plan, rng = self.state.plan, self.state.rng
            draw = rng.random()
            for action, rate in (
                ("429", plan.throttle_rate),
                ("500", plan.error_rate),
                ("timeout", plan.timeout_rate),
                ("malformed", plan.malformed_rate),
            ):
                if draw < rate:
                    if action == "malformed":
                        return rng.choice(("invalid_json", "schema_violation"))
                    return action
                draw -= rate
            return "ok"

    def _error(self, route: Route, status: int, retry_after_s: float) -> None:
        extra: dict[str, str] = {}
        if status == 429:
            extra["retry-after"] = f"{retry_after_s:g}"
        if route == "openai":
            kind = "rate_limit_exceeded" if status == 429 else "server_error"
            body: dict[str, Any] = {"error": {"message": f"fake {status}", "type": kind, "code": kind}}
        elif route == "anthropic":
            kind = {429: "rate_limit_error", 503: "overloaded_error"}.get(status, "api_error")
            body = {"type": "error", "error": {"type": kind, "message": f"fake {status}"}}
        else:
            kind = {429: "ThrottlingException", 503: "ServiceUnavailableException"}.get(
                status, "InternalServerException"
            )
            extra["x-amzn-errortype"] = f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"
            body = {"message": f"fake {status}"}
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._json(status, body, extra)

    def _json(self, status: int, payload: Any, extra_headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", f"req_{uuid.uuid4().hex[:12]}")
        for key, value in (extra_headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


# --- the three wire formats --------------------------------------------------------------------------


def _openai(body: dict[str, Any], path: str, action: str, state: _State) -> dict[str, Any]:
    messages = body.get("messages") or []
    prompt_text = "\n".join(_content_text(m.get("content")) for m in messages)
    response_format = body.get("response_format") or {}
    schema = (response_format.get("json_schema") or {}).get("schema") or {"type": "object", "properties": {}}
    content = _answer_text(schema, _user_data(messages), action)
    prompt_tokens = _tokens(prompt_text) + _tokens(json.dumps(schema))
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:16]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": _tokens(content),
            "total_tokens": prompt_tokens + _tokens(content),
            "prompt_tokens_details": {"cached_tokens": 0},
        },
    }


def _anthropic(body: dict[str, Any], path: str, action: str, state: _State) -> dict[str, Any]:
    tools = body.get("tools") or []
    system = body.get("system") or ""
    system_blocks = system if isinstance(system, list) else [{"type": "text", "text": system}]
    choice = body.get("tool_choice") or {}
    tool = next((t for t in tools if t.get("name") == choice.get("name")), tools[0] if tools else None)
    messages = body.get("messages") or []
    schema = tool.get("input_schema") if tool else {"type": "object", "properties": {}}
    answer = _answer(schema or {}, _user_data(messages), action)
    if tool is not None and not isinstance(answer, str):
        content: list[dict[str, Any]] = [
            {
                "type": "tool_use",
                "id": f"toolu_{uuid.uuid4().hex[:20]}",
                "name": tool["name"],
                "input": answer,
            }
        ]
        stop_reason = "tool_use"
    else:
        text = answer if isinstance(answer, str) else json.dumps(answer)
        content = [{"type": "text", "text": text}]
        stop_reason = "end_turn"
    prefix = json.dumps(tools) + "".join(b.get("text", "") for b in system_blocks)
    cacheable = any(b.get("cache_control") for b in system_blocks) or any(
        t.get("cache_control") for t in tools
    )
    total = _tokens(prefix) + _tokens("\n".join(_content_text(m.get("content")) for m in messages))
    read, written = _prompt_cache(state, body.get("model", ""), prefix, cacheable)
    return {
        "id": f"msg_{uuid.uuid4().hex[:20]}",
        "type": "message",
        "role": "assistant",
        "model": body.get("model", "fake"),
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": total - read - written,
            "output_tokens": _tokens(json.dumps(content)),
            "cache_creation_input_tokens": written,
            "cache_read_input_tokens": read,
        },
    }


def _bedrock(body: dict[str, Any], path: str, action: str, state: _State) -> dict[str, Any]:
    tool_config = body.get("toolConfig") or {}
    specs = [t["toolSpec"] for t in tool_config.get("tools", []) if "toolSpec" in t]
    wanted = ((tool_config.get("toolChoice") or {}).get("tool") or {}).get("name")
    spec = next((s for s in specs if s.get("name") == wanted), specs[0] if specs else None)
    schema = ((spec or {}).get("inputSchema") or {}).get("json") or {"type": "object", "properties": {}}
    messages = body.get("messages") or []
    answer = _answer(schema, _user_data(messages), action)
    if spec is not None and not isinstance(answer, str):
        block: dict[str, Any] = {
            "toolUse": {
                "toolUseId": f"tooluse_{uuid.uuid4().hex[:20]}",
                "name": spec["name"],
                "input": answer,
            }
        }
        stop_reason = "tool_use"
    else:
        block = {"text": answer if isinstance(answer, str) else json.dumps(answer)}
        stop_reason = "end_turn"
    system = body.get("system") or []
    prefix = json.dumps(specs) + "".join(b.get("text", "") for b in system)
    cacheable = any("cachePoint" in b for b in system)
    total = _tokens(prefix) + _tokens("\n".join(_content_text(m.get("content")) for m in messages))
    read, written = _prompt_cache(state, path, prefix, cacheable)
    output = _tokens(json.dumps(block))
    return {
        "output": {"message": {"role": "assistant", "content": [block]}},
        "stopReason": stop_reason,
        "usage": {
            "inputTokens": total - read - written,
            "outputTokens": output,
            "totalTokens": total + output,
            "cacheReadInputTokens": read,
            "cacheWriteInputTokens": written,
        },
        "metrics": {"latencyMs": state.plan.latency_ms},
    }


def _prompt_cache(state: _State, model: str, prefix: str, cacheable: bool) -> tuple[int, int]:
    """(read, written) tokens: the first request with a cache breakpoint writes, the next ones read."""
    if not cacheable:
        return 0, 0
    key = hashlib.sha256(f"{model}\0{prefix}".encode()).hexdigest()
    with state.lock:
        hit = key in state.prompt_cache
        state.prompt_cache.add(key)
    return (_tokens(prefix), 0) if hit else (0, _tokens(prefix))


# --- answers -------------------------------------------------------------------------------------------


def _answer_text(schema: dict[str, Any], data: str, action: str) -> str:
    answer = _answer(schema, data, action)
    return answer if isinstance(answer, str) else json.dumps(answer)


def _answer(schema: dict[str, Any], data: str, action: str) -> dict[str, Any] | str:
    """A schema-valid object, or for malformed actions broken JSON (a str) or a schema violation."""
    if action == "invalid_json":
        return '{"summary": "this answer was cut off'
    answer = fill(schema, data, root=schema)
    if action == "schema_violation" and isinstance(answer, dict):
        answer.pop("summary", None)
        answer["unexpected_field"] = "not in the schema"
    return answer if isinstance(answer, dict) else {"value": answer}


def fill(schema: dict[str, Any], data: str, *, root: dict[str, Any], name: str = "") -> Any:
    """A value satisfying ``schema``, made from ``data`` (the text the request delimited)."""
    if "$ref" in schema:
        target: Any = root
        for part in str(schema["$ref"]).removeprefix("#/").split("/"):
            target = target[part]
        return fill(
            {**target, **{k: v for k, v in schema.items() if k != "$ref"}}, data, root=root, name=name
        )
    for union in ("anyOf", "oneOf"):
        if union in schema:
            options = [o for o in schema[union] if o.get("type") != "null"] or schema[union]
            return fill(options[0], data, root=root, name=name)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        return {
            key: fill(sub, data, root=root, name=key) for key, sub in (schema.get("properties") or {}).items()
        }
    if kind == "array":
        low = int(schema.get("minItems", 0))
        high = int(schema.get("maxItems", max(low, 5)))
        count = max(low, min(high, 5))
        items_schema = schema.get("items") or {"type": "string"}
        if items_schema.get("type", "string") == "string" and "enum" not in items_schema:
            pool = _words(data) if _wants_terms(name) else _sentences(data)
            pool = pool or ["item"]
            limit = _max_length(items_schema)
            values: list[Any] = []
            for i in range(count):
                value = _clip(pool[i % len(pool)], limit)
                values.append(value if value not in values else _clip(f"{value} {i}", limit))
            return values
        return [fill(items_schema, data, root=root, name=name) for _ in range(count)]
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1)
    if kind == "number":
        return float(schema.get("minimum", 0.5))
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    sentences = _sentences(data) or ["No text."]
    text = " ".join(sentences[:2]) if "summary" in name else sentences[0]
    return _clip(text, _max_length(schema))


def _wants_terms(name: str) -> bool:
    return any(
        part in name for part in ("keyword", "concept", "technolog", "topic", "method", "tag", "entit")
    )


def _max_length(schema: dict[str, Any]) -> int | None:
    if "maxLength" in schema:
        return int(schema["maxLength"])
    match = _LIMIT_IN_DESCRIPTION.search(str(schema.get("description", "")))
    return int(match.group(1)) if match else None


def _clip(text: str, limit: int | None) -> str:
    return text if limit is None or len(text) <= limit else text[: max(limit, 1)].rstrip() or text[:limit]


def _sentences(text: str) -> list[str]:
    flat = " ".join(text.split())
    return [s for s in re.split(r"(?<=[.!?])\s+", flat) if s][:20]


def _words(text: str) -> list[str]:
    counts = Counter(
        w for w in re.findall(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'-]{3,}", text.lower()) if w not in _STOPWORDS
    )
    return [w for w, _ in counts.most_common(30)]


def _user_data(messages: list[dict[str, Any]]) -> str:
    """The delimited data of the first user message that has it, else all user text."""
    texts = [_content_text(m.get("content")) for m in messages if m.get("role") == "user"]
    for text in texts:
        for opening, closing in ((DATA_OPEN, DATA_CLOSE), (SUMMARIES_OPEN, SUMMARIES_CLOSE)):
            start = text.find(opening)
            end = text.rfind(closing)
            if start != -1 and end > start:
                return text[start + len(opening) : end].strip()
    return "\n".join(texts)


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, dict):
                value = block.get("text") or block.get("content") or ""
                parts.append(value if isinstance(value, str) else _content_text(value))
        return "\n".join(parts)
    return ""


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)
