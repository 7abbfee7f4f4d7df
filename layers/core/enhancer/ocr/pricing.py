"""What OCR cost, from ``config/ocr_pricing.json`` (USD per page, per engine)."""

from functools import lru_cache
from pathlib import Path

from enhancer.config import OcrPricingConfig, load_config_file
from enhancer.models.result import OcrPageInfo

PRICING_FILE = "ocr_pricing.json"


@lru_cache(maxsize=8)
def ocr_prices(config_dir: Path) -> OcrPricingConfig:
    return load_config_file(config_dir / PRICING_FILE, OcrPricingConfig)


def ocr_usage(pages: list[OcrPageInfo], config_dir: Path) -> dict[str, int | float]:
    """``ocr_pages`` and ``ocr_cost_usd`` for the result's usage: pages the engine read (a page it failed
    on or that was skipped is not billed); an engine missing from the price list costs 0."""
    read = [page for page in pages if page.status == "ocr"]
    if not read:
        return {"ocr_pages": 0, "ocr_cost_usd": 0.0}
    prices = ocr_prices(config_dir).per_page
    return {
        "ocr_pages": len(read),
        "ocr_cost_usd": round(sum(prices.get(page.engine, 0.0) for page in read), 6),
    }
