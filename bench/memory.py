"""Peak memory of extraction: the largest real PDF, a generated 1,500-page PDF and a decompression bomb.

    python bench/memory.py

Each case runs ``extract_pdf`` (engine auto) in a fresh process and reports its peak RSS (ru_maxrss) next
to the baseline of a process that only imports the package and loads the config, measured in the same run.
The bomb is built like ``tests/unit/pdf/test_bounds.py``: 400 MiB of zeros behind a FlateDecode filter,
~400 KB on disk; it must end in CORRUPT_PDF without being inflated. Target: ≤ 512 MB each.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from common import CORPUS, REPO, machine

sys.path.insert(0, str(REPO / "tests" / "unit" / "pdf"))
from pdf_builders import raw_pdf, text_page, zero_bomb

TARGET_MB = 512
WORKER = """
import json, resource, sys
from pathlib import Path
from enhancer.config import load_app_config
from enhancer.errors import PermanentError
from enhancer.pdf import extract_pdf
config = load_app_config(Path(sys.argv[1]))
outcome = "imported"
if len(sys.argv) > 2:
    try:
        result = extract_pdf(open(sys.argv[2], "rb").read(), profile=config.extraction_profiles.get(None)[1],
                             patterns=config.chapter_patterns, max_file_bytes=200 << 20, max_pages=5000)
        outcome = f"{result.pdf.page_count} pages, {len(result.chapters)} chapters"
    except PermanentError as exc:
        outcome = exc.code.value
print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "outcome": outcome}))
"""


def peak(*pdf: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "layers" / "core")}
    command = [sys.executable, "-c", WORKER, str(REPO / "config"), *map(str, pdf)]
    done = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    return dict(json.loads(done.stdout.splitlines()[-1]))


def main() -> None:
    print(machine())
    real = [*(REPO / "samples").glob("*.pdf"), *(CORPUS.glob("*.pdf") if CORPUS.is_dir() else [])]
    largest = max(real, key=lambda p: p.stat().st_size)
    with tempfile.TemporaryDirectory() as tmp:
        pages = Path(tmp) / "1500-pages.pdf"
        lines = [f"Line {n} of a long generated document about storage and pipelines." for n in range(40)]
        pages.write_bytes(raw_pdf([text_page(f"Chapter {i // 50 + 1}", *lines) for i in range(1500)]))
        bomb = Path(tmp) / "bomb.pdf"
        bomb.write_bytes(raw_pdf([zero_bomb(400 * 1024 * 1024)], filter_name="FlateDecode"))
        base = peak()
        print(f"\n## memory: peak RSS per fresh process; baseline (import + config) {base['rss_mb']:.0f} MB")
        print(f"{'case':44} {'file MB':>8} {'peak MB':>8} {'x base':>7} {'target':>7}  outcome")
        for label, path in (
            (f"largest real PDF ({largest.name})", largest),
            ("generated, 1,500 pages", pages),
            ("decompression bomb (400 MiB zeros)", bomb),
        ):
            result = peak(path)
            rss = float(str(result["rss_mb"]))
            verdict = "ok" if rss <= TARGET_MB else "MISSED"
            size = path.stat().st_size / 2**20
            ratio = rss / float(str(base["rss_mb"]))
            print(f"{label:44} {size:8.1f} {rss:8.0f} {ratio:7.1f} {verdict:>7}  {result['outcome']}")


if __name__ == "__main__":
    main()
