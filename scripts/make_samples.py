"""Generate the sample PDFs in samples/ with pypdf alone: deterministic, small, real prose.

    python scripts/make_samples.py --out samples

Each file exercises one detection path: an outline (book), numbered headings without an outline
(paper), no headings at all (report, fallback windows), "Chapter N" headings with running headers,
footers and a contents page (guide), a truncated file (broken), and a scan with no text layer at all
(scanned-memo: text rendered to page images with Pillow, one page stored rotated) for OCR.
"""

import argparse
import random
import textwrap
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject, NumberObject, StreamObject

PAGE_W, PAGE_H = 612, 792
MARGIN = 72
BODY_SIZE, LEADING = 10.5, 14
WRAP = 92
LINES_PER_PAGE = 44

# Sentences per topic; pages shuffle them with a fixed seed, so text is varied but reproducible.
TOPICS: dict[str, list[str]] = {
    "storage": [
        "Object storage keeps data as immutable objects addressed by a bucket and a key, which makes it cheap to store and simple to replicate across availability zones.",
        "A well-chosen key layout groups related objects under a common prefix, so that lifecycle rules, access policies and event notifications can target a whole dataset at once.",
        "Versioning protects against accidental deletes and overwrites, but it also multiplies storage costs unless old versions expire through a lifecycle rule.",
        "Server-side encryption with a managed key is the sensible default, because it costs nothing in application code and satisfies most audit requirements.",
        "Strong read-after-write consistency means a reader that lists a prefix immediately after an upload sees the new object, which removes a whole class of race conditions.",
        "Large files should be uploaded in parts, since a multipart upload can be retried piece by piece and parallelised across several connections.",
        "Columnar formats such as Parquet let analytical queries read only the columns they need, which often cuts the bytes scanned by an order of magnitude.",
        "Small files are the silent enemy of analytical storage: thousands of tiny objects make every query pay for request overhead instead of useful reads.",
    ],
    "events": [
        "In an event-driven architecture each component reacts to facts published by others instead of calling them directly, which keeps services loosely coupled.",
        "A queue between two functions absorbs bursts of traffic, so the consumer can work at a steady rate that matches its downstream limits.",
        "Every message may be delivered more than once, so handlers must be idempotent: processing the same event twice has to leave the system in the same state.",
        "A dead-letter queue collects messages that keep failing, turning a silent retry loop into a visible backlog that an operator can inspect and redrive.",
        "The visibility timeout must exceed the time a handler needs, otherwise a slow message reappears on the queue and is processed by a second worker.",
        "Partial batch responses let a function acknowledge the records it handled and return only the failures, so one poison message does not block its neighbours.",
        "Fan-out sends one event to many consumers, while fan-in needs a durable counter or a conditional write to know when the last piece of work has arrived.",
        "Ordering guarantees are expensive; most workflows are easier to build when each event carries enough context to be processed on its own.",
    ],
    "pipelines": [
        "A data pipeline turns raw inputs into trustworthy tables through a sequence of small, testable steps, each with a clear contract for its input and output.",
        "Batch processing favours throughput and simplicity, whereas stream processing trades some complexity for results that arrive within seconds.",
        "Schema validation at the edge of the pipeline stops malformed records before they spread into downstream tables and dashboards.",
        "Backfills are inevitable, so every transformation should be deterministic and safe to rerun over a historical range of partitions.",
        "Watermarks tell a streaming job how long to wait for late events before it closes a window and emits an aggregate.",
        "Lineage metadata records which job produced which dataset from which inputs, which turns a vague data quality complaint into a precise investigation.",
        "Partitioning by event date keeps daily jobs cheap, because each run touches only the partitions that changed since the previous run.",
        "Change data capture streams inserts, updates and deletes from an operational database, so the warehouse follows the source without nightly full exports.",
    ],
    "observability": [
        "Observability is the ability to answer new questions about a running system from the telemetry it already emits, without shipping new code.",
        "Structured logs with a correlation identifier on every line let an engineer follow a single request across functions, queues and retries.",
        "Metrics are cheap to aggregate and alert on; an embedded metric format writes them as log lines that the platform turns into time series.",
        "Distributed traces show where the time goes, which matters most when a request crosses several services and one of them is slow only occasionally.",
        "An alarm should page a human only when a user is affected; everything else belongs on a dashboard or in a daily report.",
        "Error budgets turn reliability into a shared number: when the budget is spent, the team slows feature work and invests in stability.",
        "Percentile latencies describe user experience far better than averages, because the slowest requests are the ones customers remember.",
        "Runbooks connect each alarm to a first diagnostic step, so the engineer on call at three in the morning does not have to improvise.",
    ],
    "security": [
        "Least privilege means every function receives a role that allows exactly the actions it performs on exactly the resources it touches.",
        "Secrets such as API keys belong in a managed secret store, fetched at run time and cached briefly, never in environment variables or source code.",
        "Encryption in transit and at rest is table stakes; the harder questions are who can use the keys and how their use is audited.",
        "Input validation is a security control: a parser that rejects malformed documents early cannot be tricked into exhausting memory later.",
        "Decompression bombs exploit the gap between the size of a file and the size of its decoded content, so every decoder needs an output limit.",
        "Audit trails record who changed what and when, which is indispensable both for incident response and for demonstrating compliance.",
        "Network boundaries still matter in serverless systems, for example private endpoints that keep traffic to storage off the public internet.",
        "Dependency updates close known vulnerabilities, and pinning exact versions makes every build reproducible and every upgrade deliberate.",
    ],
    "kubernetes": [
        "A Kubernetes deployment describes the desired number of replicas of a container image, and the controller works continuously to make reality match it.",
        "Readiness probes keep traffic away from a pod until it can serve requests, while liveness probes restart a container that has stopped responding.",
        "Resource requests tell the scheduler how much CPU and memory a pod needs, and limits stop one noisy workload from starving its neighbours.",
        "A horizontal pod autoscaler adds replicas when average utilisation rises, which works best when each replica is stateless and starts quickly.",
        "Config maps and secrets separate configuration from images, so the same artefact can be promoted unchanged from staging to production.",
        "Rolling updates replace pods a few at a time, and a failed readiness check halts the rollout before every replica runs the broken version.",
        "Namespaces, network policies and role bindings divide a shared cluster between teams without giving anyone more access than they need.",
        "Persistent volumes outlive the pods that mount them, but stateful workloads still demand careful thought about backups and failover.",
    ],
    "research": [
        "We study how document structure can be recovered from PDF files that were produced by many different tools over several decades.",
        "Prior work relies on visual layout models, which are accurate but expensive to run on millions of pages in a serverless environment.",
        "Our method combines the embedded outline, textual heading patterns and page-level heuristics, and it falls back to fixed windows when no structure is found.",
        "We evaluate on a corpus of technical books, theses and reports, measuring the agreement between detected chapters and the authors' tables of contents.",
        "Text extraction with a native engine is more than ten times faster than a pure-Python parser while producing nearly identical characters.",
        "Running headers and page numbers are the most common source of false headings, and removing repeated lines eliminates most of them.",
        "The results suggest that simple, transparent rules are competitive with learned models for chapter segmentation of born-digital documents.",
        "Future work includes scanned documents, where optical character recognition must precede any structural analysis.",
    ],
    "report": [
        "Revenue from managed data services grew steadily throughout the year, driven mainly by customers migrating analytical workloads to the cloud.",
        "Operating costs rose more slowly than revenue, because automation reduced the manual effort required for onboarding new accounts.",
        "The support team resolved most incidents within the agreed response times, although two regional outages exceeded the target for recovery.",
        "Customer surveys rated documentation and onboarding highly, while pricing transparency remained the most frequent request for improvement.",
        "Investment in observability tooling shortened the average time to detect a production issue and reduced the number of repeated incidents.",
        "The security programme completed its annual penetration test and closed all findings rated high before the end of the reporting period.",
        "Headcount grew in engineering and customer success, and the company expanded its graduate programme for data engineers.",
        "The board recommends continued investment in automation, a review of the pricing model and a second data centre region next year.",
    ],
}


def _paragraphs(topic: str, seed: int, count: int) -> list[str]:
    rng = random.Random(f"{topic}:{seed}")
    sentences = TOPICS[topic]
    return [" ".join(rng.sample(sentences, rng.randint(4, 6))) for _ in range(count)]


def _lines(paragraphs: list[str]) -> list[str]:
    lines: list[str] = []
    for paragraph in paragraphs:
        lines.extend(textwrap.wrap(paragraph, WRAP))
        lines.append("")
    return lines


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


class Book:
    """Pages of Helvetica text written into a PdfWriter, with optional running header and footer."""

    def __init__(self, title: str, author: str, header: str | None = None, footer: bool = False) -> None:
        self.writer = PdfWriter()
        self.writer.add_metadata({"/Title": title, "/Author": author, "/Producer": "make_samples.py"})
        self.header = header
        self.footer = footer
        self._font = self.writer._add_object(self._font_dict("/Helvetica"))
        self._bold = self.writer._add_object(self._font_dict("/Helvetica-Bold"))

    @staticmethod
    def _font_dict(base: str) -> DictionaryObject:
        return DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject(base),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )

    def page(self, headings: list[str], lines: list[str]) -> int:
        """Add one page: bold heading lines, then body lines; returns its 0-based index."""
        number = len(self.writer.pages) + 1
        ops: list[str] = []
        y = PAGE_H - MARGIN
        if self.header:
            ops.append(f"BT /F1 9 Tf {MARGIN} {PAGE_H - 40} Td ({_escape(self.header)}) Tj ET")
        for heading in headings:
            ops.append(f"BT /F2 16 Tf {MARGIN} {y} Td ({_escape(heading)}) Tj ET")
            y -= 26
        for line in lines:
            if line:
                ops.append(f"BT /F1 {BODY_SIZE} Tf {MARGIN} {y} Td ({_escape(line)}) Tj ET")
            y -= LEADING
        if self.footer:
            ops.append(f"BT /F1 9 Tf {PAGE_W / 2 - 10} 36 Td ({number}) Tj ET")
        page = self.writer.add_blank_page(PAGE_W, PAGE_H)
        page[NameObject("/Resources")] = DictionaryObject(
            {
                NameObject("/Font"): DictionaryObject(
                    {NameObject("/F1"): self._font, NameObject("/F2"): self._bold}
                )
            }
        )
        stream = DecodedStreamObject()
        stream.set_data("\n".join(ops).encode("cp1252"))
        page[NameObject("/Contents")] = self.writer._add_object(stream)
        page.compress_content_streams()
        return number - 1

    def chapter(self, headings: list[str], topic: str, pages: int, seed: int) -> list[int]:
        """Body pages for one topic; the headings go on the first page only."""
        lines = _lines(_paragraphs(topic, seed, pages * 6))
        indexes = []
        for n in range(pages):
            page_lines = lines[n * LINES_PER_PAGE : (n + 1) * LINES_PER_PAGE]
            indexes.append(self.page(headings if n == 0 else [], page_lines))
        return indexes

    def save(self, path: Path) -> Path:
        with path.open("wb") as handle:
            self.writer.write(handle)
        return path


BOOK_CHAPTERS = [
    ("Cloud Storage Foundations", "storage", ["Buckets and keys", "Formats and costs"]),
    ("Event-Driven Architectures", "events", ["Queues and retries", "Fan-out and fan-in"]),
    ("Data Pipelines", "pipelines", ["Batch and streaming", "Backfills and lineage"]),
    ("Observability in Practice", "observability", ["Logs, metrics and traces", "Alarms and runbooks"]),
    ("Security by Design", "security", ["Identity and secrets", "Hostile input"]),
]


def make_book(out: Path) -> Path:
    """~25 pages with an outline: chapters at the top level, two sections nested under each."""
    book = Book("Cloud Data Engineering Handbook", "A. Rivera", header="Cloud Data Engineering Handbook")
    book.page(["Cloud Data Engineering Handbook", "A practical guide for data teams"], [])
    for number, (title, topic, sections) in enumerate(BOOK_CHAPTERS, start=1):
        pages = book.chapter([f"Chapter {number}: {title}"], topic, 5, seed=number)
        parent = book.writer.add_outline_item(title=f"{number} {title}", page_number=pages[0])
        for sub, (section, page) in enumerate(zip(sections, (pages[1], pages[3]), strict=True), start=1):
            book.writer.add_outline_item(title=f"{number}.{sub} {section}", page_number=page, parent=parent)
    return book.save(out / "cloud-data-handbook.pdf")


def make_paper(out: Path) -> Path:
    """Numbered sections ("1 Introduction", "2. Related Work") and no outline."""
    book = Book("Recovering Chapter Structure from PDF Documents", "J. Chen and M. Okafor")
    abstract = _lines(_paragraphs("research", 0, 2))
    book.page(["Recovering Chapter Structure from PDF Documents", "Abstract"], abstract)
    for number, title in enumerate(["Introduction", "Related Work", "Method", "Evaluation", "Conclusion"], 1):
        heading = f"{number}. {title}" if number == 2 else f"{number} {title}"
        book.chapter([heading], "research", 1 if number != 4 else 2, seed=number)
    return book.save(out / "research-paper.pdf")


def make_report(out: Path) -> Path:
    """Twelve pages of prose with no headings at all: detection falls back to page windows."""
    book = Book("Annual Operations Report", "Finance and Operations")
    book.chapter([], "report", 12, seed=7)
    return book.save(out / "annual-report.pdf")


GUIDE_CHAPTERS = [
    ("Deployments and Rollouts", "kubernetes"),
    ("Event Queues on Kubernetes", "events"),
    ("Monitoring the Cluster", "observability"),
    ("Securing Workloads", "security"),
]


def make_guide(out: Path) -> Path:
    """ "Chapter N" headings, a running header, page-number footers and a contents page."""
    book = Book("Kubernetes Field Guide", "Platform Team", header="Kubernetes Field Guide", footer=True)
    book.page(["Kubernetes Field Guide"], ["Second edition", "", "Platform Team"])
    toc = [f"Chapter {n}  {title}  {3 + (n - 1) * 3}" for n, (title, _) in enumerate(GUIDE_CHAPTERS, 1)]
    book.page(["Contents"], toc)
    for number, (title, topic) in enumerate(GUIDE_CHAPTERS, start=1):
        book.chapter([f"Chapter {number}", title], topic, 3, seed=10 + number)
    return book.save(out / "kubernetes-field-guide.pdf")


def make_broken(out: Path) -> Path:
    """A download cut off part-way: the first 40 % of a valid PDF, no cross-reference table."""
    book = Book("Truncated Upload", "Unknown")
    book.chapter(["Partial Document"], "storage", 4, seed=99)
    path = out / "truncated.pdf"
    book.save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 5])
    return path


SCAN_DPI = 150
SCAN_TITLE = "Field Inspection Memo"
SCAN_ROTATED_PAGE = 2  # stored sideways with /Rotate 90, as a scanner fed the sheet in landscape


def scan_pages() -> list[list[str]]:
    """The text lines printed on each page of the scanned sample (what OCR must find)."""
    lines = _lines(_paragraphs("report", 7, 6))
    body = [line for line in lines if line]
    pages = [body[0:11], body[11:22], body[22:33]]
    pages[0] = [SCAN_TITLE, *pages[0]]
    return pages


def _scan_image(lines: list[str]) -> Any:
    """One A4-ish page at ``SCAN_DPI``: black text on a light grey sheet, as a flatbed scanner returns it."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = PAGE_W * SCAN_DPI // 72, PAGE_H * SCAN_DPI // 72
    image = Image.new("L", (width, height), 238)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=27)
    y = 150
    for line in lines:
        for part in textwrap.wrap(line, 64):
            draw.text((140, y), part, fill=20, font=font)
            y += 44
        y += 12
    return image


def make_scan(out: Path) -> Path:
    """A scanned memo: every page one grayscale image and no text layer; page 2 is stored rotated."""
    writer = PdfWriter()
    writer.add_metadata({"/Title": SCAN_TITLE, "/Author": "Site Operations", "/Producer": "make_samples.py"})
    for number, lines in enumerate(scan_pages(), start=1):
        image = _scan_image(lines)
        rotated = number == SCAN_ROTATED_PAGE
        if rotated:
            image = image.rotate(90, expand=True)  # counter-clockwise; /Rotate 90 turns it back for display
        width_pt, height_pt = image.width * 72 / SCAN_DPI, image.height * 72 / SCAN_DPI
        xobject = StreamObject()
        xobject._data = zlib.compress(image.tobytes(), 9)
        xobject.update(
            {
                NameObject("/Type"): NameObject("/XObject"),
                NameObject("/Subtype"): NameObject("/Image"),
                NameObject("/Width"): NumberObject(image.width),
                NameObject("/Height"): NumberObject(image.height),
                NameObject("/ColorSpace"): NameObject("/DeviceGray"),
                NameObject("/BitsPerComponent"): NumberObject(8),
                NameObject("/Filter"): NameObject("/FlateDecode"),
            }
        )
        page = writer.add_blank_page(width_pt, height_pt)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/XObject"): DictionaryObject({NameObject("/Im0"): writer._add_object(xobject)})}
        )
        contents = DecodedStreamObject()
        contents.set_data(f"q {width_pt:g} 0 0 {height_pt:g} 0 0 cm /Im0 Do Q".encode())
        page[NameObject("/Contents")] = writer._add_object(contents)
        if rotated:
            page.rotate(90)
    path = out / "scanned-memo.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    return path


GENERATORS = [make_book, make_paper, make_report, make_guide, make_broken, make_scan]


def generate(out: Path) -> Iterator[Path]:
    out.mkdir(parents=True, exist_ok=True)
    for make in GENERATORS:
        yield make(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("samples"), help="folder for the PDFs")
    args = parser.parse_args()
    for path in generate(args.out):
        print(f"{path}  {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
