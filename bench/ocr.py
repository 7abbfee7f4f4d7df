"""OCR throughput and memory: RapidOCR on scanned pages against the text-layer path, in the same run.

    python bench/ocr.py [--dpi 100,150,200]

Each case runs ``extract_pdf`` in a fresh process and reports pages per second and peak RSS (ru_maxrss):
the text-layer baseline on a born-digital sample, then RapidOCR on the generated scan (samples/
scanned-memo.pdf, with its word recall against the words it was made from) at each DPI, and on the
corpus's four-page scan when ../shared/corpus is there. The engine is created and its models loaded
before the clock starts, as on a warm Lambda.
"""

import argparse
import json
import subprocess
import sys

from common import CORPUS, REPO, machine
from make_samples import scan_pages

WORKER = """
import json, re, resource, sys, time
from pathlib import Path
from enhancer.config import load_app_config
from enhancer.ocr import OcrOptions, make_engine
from enhancer.pdf import extract_pdf
config = load_app_config(Path(sys.argv[1]))
path, dpi = sys.argv[2], int(sys.argv[3])
ocr = None
if dpi:
    engine = make_engine("rapidocr")
    engine.load()
    ocr = OcrOptions(engine=engine, dpi=dpi)
started = time.perf_counter()
profile = config.extraction_profiles.get(None)[1]
result = extract_pdf(Path(path), profile=profile, patterns=config.chapter_patterns,
                     max_file_bytes=200 << 20, max_pages=5000, ocr=ocr)
seconds = time.perf_counter() - started
text = "\\n".join(c.text for c in result.chapters)
print(json.dumps({
    "pages": result.pdf.page_count, "seconds": seconds, "ocr_pages": len(result.pdf.ocr_pages),
    "confidence": [p.confidence for p in result.pdf.ocr_pages], "text": text,
    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""
_WORD = r"[a-z0-9]+"


def _run(path: str, dpi: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(REPO / "config"), path, str(dpi)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _recall(expected: str, found: str) -> float:
    import re
    from collections import Counter

    have = Counter(re.findall(_WORD, found.lower()))
    want = re.findall(_WORD, expected.lower())
    hits = 0
    for word in want:
        if have[word] > 0:
            have[word] -= 1
            hits += 1
    return hits / len(want)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dpi", default="100,150,200", help="comma-separated DPIs for the generated scan")
    args = parser.parse_args()
    print(machine())
    baseline = _run(str(REPO / "samples" / "annual-report.pdf"), 0)
    base_rate = baseline["pages"] / baseline["seconds"]
    print(
        f"text layer (annual-report.pdf, {baseline['pages']} pages): {base_rate:,.0f} pages/s, "
        f"peak {baseline['rss_mb']:.0f} MB"
    )
    words = "\n".join("\n".join(lines) for lines in scan_pages())
    cases = [
        (f"scanned-memo.pdf @ {dpi} dpi", str(REPO / "samples" / "scanned-memo.pdf"), int(dpi))
        for dpi in args.dpi.split(",")
    ]
    corpus_scan = CORPUS / "dl-multipage-scan.pdf"
    if corpus_scan.is_file():
        cases.append(("dl-multipage-scan.pdf @ 150 dpi", str(corpus_scan), 150))
    for label, path, dpi in cases:
        run = _run(path, dpi)
        rate = run["pages"] / run["seconds"]
        recall = f", word recall {_recall(words, run['text']):.2f}" if "scanned-memo" in path else ""
        confidence = min(run["confidence"]) if run["confidence"] else 0
        print(
            f"rapidocr {label}: {rate:.2f} pages/s ({run['seconds'] / run['pages']:.2f} s a page), "
            f"peak {run['rss_mb']:.0f} MB, min confidence {confidence:.3f}{recall}; "
            f"{base_rate / rate:,.0f}x slower than the text layer"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
