"""Lambda's ``snapshot_restore_py`` for the local runtime, and what publishing a SnapStart function does.

On Lambda (Python 3.12+) the runtime provides that module. For a function with SnapStart, the init (the
handler module) and the hooks it registers with ``register_before_snapshot`` run once, when a version is
published; every container restored from the snapshot runs the ``register_after_restore`` hooks before its
first invocation. Locally, ``install`` puts the same two functions in ``sys.modules``, the hooks a handler
registers while it loads are kept under its function, and ``publish`` runs them in that order, so a
SnapStart function's first message meets imported code (its LLM SDK included) as on a restored container,
and ``enhancer.snapstart``'s hooks run in tests.
"""

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

Hook = Callable[[], None]


@dataclass
class _Hooks:
    before_snapshot: list[Hook] = field(default_factory=list)
    after_restore: list[Hook] = field(default_factory=list)


_hooks: dict[str, _Hooks] = {}
_loading = threading.RLock()
_loading_function: list[str] = []


def install() -> None:
    """``snapshot_restore_py`` importable, as on Lambda's Python runtimes; idempotent."""
    if "snapshot_restore_py" in sys.modules:
        return
    module = ModuleType("snapshot_restore_py", "The local runtime's stand-in (enhancer.local.snapshots).")
    module.register_before_snapshot = _register("before_snapshot")  # type: ignore[attr-defined]
    module.register_after_restore = _register("after_restore")  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module


@contextmanager
def loading(function_key: str) -> Iterator[None]:
    """Hooks registered in this block belong to ``function_key`` (its handler module is loading, again
    if it was loaded before: its earlier hooks are dropped)."""
    with _loading:
        _hooks[function_key] = _Hooks()
        _loading_function.append(function_key)
        try:
            yield
        finally:
            _loading_function.pop()


def snapshot_and_restore(function_key: str) -> int:
    """The function's before-snapshot hooks, then its after-restore hooks; how many ran."""
    hooks = _hooks.get(function_key, _Hooks())
    for hook in [*hooks.before_snapshot, *hooks.after_restore]:
        hook()
    return len(hooks.before_snapshot) + len(hooks.after_restore)


def _register(kind: str) -> Callable[..., Hook]:
    def register(hook: Hook, *args: Any, **kwargs: Any) -> Hook:
        if _loading_function:  # a registration outside a handler's load has no function to run for
            bound = (lambda: hook(*args, **kwargs)) if args or kwargs else hook
            getattr(_hooks.setdefault(_loading_function[-1], _Hooks()), kind).append(bound)
        return hook  # usable as a decorator, like the runtime's

    return register
