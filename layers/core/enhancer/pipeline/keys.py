"""Where each step's files live in the output bucket (one place, so no two steps disagree)."""

from enhancer.resources import RESULTS_PREFIX, WORK_PREFIX


def manifest_key(document_id: str) -> str:
    return f"{WORK_PREFIX}{document_id}/manifest.json"


def chapter_key(document_id: str, index: int) -> str:
    return f"{WORK_PREFIX}{document_id}/chapters/{index}.json"


def pages_plan_key(document_id: str) -> str:
    return f"{WORK_PREFIX}{document_id}/pages/plan.json"


def pages_key(document_id: str, first_page: int, last_page: int) -> str:
    return f"{WORK_PREFIX}{document_id}/pages/{first_page}-{last_page}.json"


def enriched_key(document_id: str, index: int) -> str:
    return f"{WORK_PREFIX}{document_id}/enriched/{index}.json"


def result_key(document_id: str) -> str:
    return f"{RESULTS_PREFIX}{document_id}.json"
