"""The sweeper handler over in-process moto, with the sample scheduled event: a report, the metric as EMF."""

import json

import pytest

from .conftest import Invoke, load_event


def test_a_scheduled_sweep_of_a_quiet_stack_reports_nothing_and_emits_documents_stalled(
    aws: dict[str, str], invoke: Invoke, capsys: pytest.CaptureFixture[str]
) -> None:
    report = invoke("sweeper", load_event("scheduled_sweep.json"))

    assert report == {"dead_letters": 0, "dead_lettered": 0, "stalled": 0, "timed_out": 0, "deferred": 0}
    emitted = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')
    ]
    assert [e["DocumentsStalled"] for e in emitted if "DocumentsStalled" in e] == [[0.0]]


@pytest.mark.filterwarnings("ignore:No application metrics")
def test_the_sweeper_refuses_to_start_without_every_queue_url(
    aws: dict[str, str], invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    from enhancer.settings import get_settings

    monkeypatch.setenv("PAGES_QUEUE_URL", "")
    get_settings.cache_clear()
    with pytest.raises(ValueError, match="PAGES_QUEUE_URL"):
        invoke("sweeper", load_event("scheduled_sweep.json"))
