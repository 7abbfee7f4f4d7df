"""``python -m enhancer.faketextract --port 8766``: serve the fake Textract until interrupted; point the
pipeline at it with ``OCR_ENGINE=textract AWS_ENDPOINT_URL_TEXTRACT=http://127.0.0.1:8766``."""

import argparse
import contextlib
import threading

from enhancer.faketextract.server import FakeTextractServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="fake Amazon Textract DetectDocumentText")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args(argv)
    with FakeTextractServer(port=args.port) as server:
        print(f"fake Textract on {server.url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
