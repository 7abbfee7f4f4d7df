"""The OCR unit fixtures (config, the generated scan's text) for the integration tests too."""

from tests.unit.ocr.conftest import app_config, samples_module, scan_texts

__all__ = ["app_config", "samples_module", "scan_texts"]
