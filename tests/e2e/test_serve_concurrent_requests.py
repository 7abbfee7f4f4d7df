"""The console asks the local API several things at once; each answer must be its own route's."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from enhancer.local.server import ServeOptions, ServingStack, serve_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack() -> Iterator[ServingStack]:
    with serve_stack(ServeOptions(port=0, provider="offline")) as running:
        yield running


def test_concurrent_requests_to_different_routes_get_their_own_answers(stack: ServingStack) -> None:
    expected = {
        "profiles": "profiles",
        "operations/queues": "queues",
        "documents?status=FAILED&limit=25": "items",
        "documents?limit=50": "items",
        "health/detailed": "checks",
        "operations/stuck": "older_than_minutes",
    }
    paths = list(expected) * 6
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda p: requests.get(f"{stack.api_url}/{p}", timeout=30), paths))

    for path, answer in zip(paths, answers, strict=True):
        assert answer.status_code == 200, (path, answer.text)
        assert expected[path] in answer.json(), (path, answer.text)
