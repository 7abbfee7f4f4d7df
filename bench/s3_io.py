"""A document's S3 objects written and read one after another and on a few threads (``thread_map``).

    python bench/s3_io.py [--chapters N] [--latency-ms MS] [--rounds N]

What extract does with a document's chapter payloads and validate with their enrichment results, through
the real ``ObjectStore`` and boto3, against the embedded moto behind a proxy that holds every request for
``--latency-ms`` first (S3's own first-byte latency for small objects is tens to a couple of hundred
milliseconds; moto answers in a few). The baseline is the serial loop, measured in the same run.
"""

import argparse
import os
import sys
import time

from common import REPO, fastest

sys.path.insert(0, str(REPO / "layers" / "core"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapters", type=int, default=32)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=3, help="runs per mode; the fastest counts")
    args = parser.parse_args()

    import logging

    import boto3

    from enhancer.local.emulator import EmbeddedAws
    from enhancer.local.faults import FaultProxy, Request
    from enhancer.local.session import FAKE_CREDENTIALS
    from enhancer.loops import thread_map
    from enhancer.storage.objects import ObjectStore

    os.environ.update(FAKE_CREDENTIALS)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log
    delay = args.latency_ms / 1000

    def held(_: Request) -> bool:
        time.sleep(delay)
        return False  # never fail: only slow

    payload = {"text": "x" * 20_000}  # a chapter of about 20 KB
    keys = [f"work/d/chapters/{n}.json" for n in range(args.chapters)]
    with EmbeddedAws() as aws, FaultProxy(aws.endpoint_url, held) as proxy:
        s3 = boto3.client("s3", endpoint_url=proxy.url)
        s3.create_bucket(Bucket="bench")
        store = ObjectStore(s3)

        def put(key: str) -> None:
            store.put_json("bench", key, payload)

        def get(key: str) -> bytes:
            return store.get_bytes("bench", key)

        put(keys[0])  # connections and the bucket warm
        figures = {
            "put serial": fastest(lambda: [put(k) for k in keys], args.rounds),
            "put thread_map": fastest(lambda: thread_map(put, keys), args.rounds),
            "get serial": fastest(lambda: [get(k) for k in keys], args.rounds),
            "get thread_map": fastest(lambda: thread_map(get, keys), args.rounds),
        }
    print(
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}; {args.chapters} objects of ~20 KB, "
        f"{args.latency_ms:.0f} ms added per request (fastest of {args.rounds})"
    )
    for op in ("put", "get"):
        serial, threaded = figures[f"{op} serial"], figures[f"{op} thread_map"]
        print(f"{op}: serial {serial:.2f} s, thread_map {threaded:.2f} s, {serial / threaded:.1f}x")


if __name__ == "__main__":
    main()
