"""SnapStart, kept by the local runtime: a SnapStart function is initialised and its snapshot hooks run when
it is published, before its first message; the other functions start on their first message."""

from typing import Any

import boto3
import pytest

from enhancer.local import functions, snapshots
from enhancer.local.limits import LocalLimits
from enhancer.local.provision import provision
from enhancer.local.runtime import LocalEventSources
from enhancer.pipeline import context, providers
from enhancer.resources import FUNCTIONS, QUEUES

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore:No application metrics")]


def test_hooks_run_for_the_function_whose_handler_registered_them_before_then_after() -> None:
    snapshots.install()
    from snapshot_restore_py import register_after_restore, register_before_snapshot  # type: ignore[import-not-found]

    ran: list[str] = []
    with snapshots.loading("first"):
        register_before_snapshot(lambda: ran.append("first: before"))
        register_after_restore(lambda: ran.append("first: after"))
    with snapshots.loading("second"):
        register_after_restore(ran.append, "second: after")
    register_before_snapshot(lambda: ran.append("outside any handler"))  # no function to run it for

    assert snapshots.snapshot_and_restore("first") == 2
    assert snapshots.snapshot_and_restore("none-registered") == 0
    assert ran == ["first: before", "first: after"]
    with snapshots.loading("first"):  # loaded again: its earlier hooks are gone
        pass
    assert snapshots.snapshot_and_restore("first") == 0
    assert snapshots.snapshot_and_restore("second") == 1
    assert ran[-1] == "second: after"


def test_starting_the_event_sources_publishes_enrich_primed_then_restored(
    aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the local stack, and a record of every provider built
    monkeypatch.setenv("LLM_PROVIDER", "offline")
    env = provision("snapstart", limits=LocalLimits())
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    context.clear_pipeline_cache()
    providers.clear_provider_cache()
    functions.load_handler_module.cache_clear()
    built: list[Any] = []
    original = providers.provider_for

    def recording(settings: Any, config: Any) -> Any:
        built.append(original(settings, config))
        return built[-1]

    monkeypatch.setattr(providers, "provider_for", recording)
    # When the event sources start, before any message (S3's test event from provisioning gone: the extract
    # poller would rebuild the pipeline while the assertions below look at it)
    queue_urls = {spec.key: env[spec.env_var] for spec in QUEUES}
    sqs: Any = boto3.client("sqs")
    for url in queue_urls.values():
        sqs.purge_queue(QueueUrl=url)
    sources = LocalEventSources(queue_urls, enrich_workers=2, sweep_interval_s=None)
    sources.start()
    try:
        # Then enrich was initialised and primed (its provider built before the snapshot) ...
        assert [spec.key for spec in FUNCTIONS if spec.snapstart] == ["enrich", "api"]
        assert len(built) == 1
        assert functions.load_handler_module.cache_info().currsize >= 1
        # ... and restored: what held connections and credentials was dropped, to be built afresh
        assert not providers._providers
        assert context._cached.cache_info().currsize == 0
    finally:
        sources.stop()
