"""The Lambda and SQS limits the local runtime keeps: function timeouts, visibility timeouts, concurrency.

All from ``enhancer.resources`` (what the CDK stack deploys); tests may shrink the times — a scale factor
for all of them, or an explicit timeout per function — without touching the deployed values. Visibility
timeouts always keep the deployed ratio to their consumer's timeout (``VISIBILITY_TIMEOUT_FACTOR``).
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from enhancer.resources import VISIBILITY_TIMEOUT_FACTOR, QueueSpec, function, reserved_concurrency


@dataclass(frozen=True)
class LocalLimits:
    time_scale: float = 1.0
    timeouts_s: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.time_scale <= 0 or any(t <= 0 for t in self.timeouts_s.values()):
            raise ValueError("timeouts and the time scale must be positive")

    def timeout_s(self, function_key: str) -> float:
        """How long an invocation of ``function_key`` may run before it is abandoned."""
        if function_key in self.timeouts_s:
            return float(self.timeouts_s[function_key])
        return function(function_key).timeout_s * self.time_scale

    def visibility_timeout_s(self, queue: QueueSpec) -> int:
        """The queue's visibility timeout: its consumer's timeout times the factor, as deployed (SQS takes
        whole seconds)."""
        return max(1, math.ceil(self.timeout_s(queue.consumer) * VISIBILITY_TIMEOUT_FACTOR))

    @staticmethod
    def concurrency(queue: QueueSpec, max_workers: int) -> int:
        """Concurrent invocations the queue's event source may have: the consumer's reserved concurrency
        (which the deployed event source's ``max_concurrency`` equals), else one at a time locally."""
        return max(1, reserved_concurrency(queue.consumer, max_workers) or 1)
