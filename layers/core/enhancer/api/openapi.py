"""``python -m enhancer.api.openapi [--write]``: print (or write ``schemas/openapi.json``) the OpenAPI
document generated from the routes; a test fails when the committed copy no longer matches them."""

import json
import sys
from pathlib import Path

from enhancer.api.app import openapi_document

OPENAPI_PATH = Path(__file__).resolve().parents[4] / "schemas" / "openapi.json"


def render() -> str:
    return json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    if "--write" in argv:
        OPENAPI_PATH.parent.mkdir(parents=True, exist_ok=True)
        OPENAPI_PATH.write_text(render(), encoding="utf-8")
        print(f"wrote {OPENAPI_PATH}")
    else:
        sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
