"""Generate the JSON Schemas shipped in ``schemas/`` from the pydantic models.

``python -m enhancer.schemas --write`` regenerates them; the tests fail when a model and its committed
schema disagree, so the shipped schema is always the one the code enforces.
"""

import argparse
import json
import sys
from pathlib import Path

from pydantic import BaseModel

from enhancer.config import CONFIG_FILES
from enhancer.models import DocumentResult

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "schemas"


def generated_schemas() -> dict[str, dict[str, object]]:
    models: dict[str, type[BaseModel]] = {"result.schema.json": DocumentResult}
    for filename, config_model in CONFIG_FILES.items():
        models[filename.replace(".json", ".schema.json")] = config_model
    out: dict[str, dict[str, object]] = {}
    for name, model in models.items():
        schema = model.model_json_schema(by_alias=True)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        out[name] = schema
    return out


def render(schema: dict[str, object]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="write the schemas instead of checking them")
    args = parser.parse_args(argv)
    stale = []
    for name, schema in generated_schemas().items():
        path = SCHEMA_DIR / name
        if args.write:
            SCHEMA_DIR.mkdir(exist_ok=True)
            path.write_text(render(schema), encoding="utf-8")
        elif not path.exists() or path.read_text(encoding="utf-8") != render(schema):
            stale.append(name)
    if stale:
        print(f"stale schemas: {', '.join(stale)}; run `make schemas`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
