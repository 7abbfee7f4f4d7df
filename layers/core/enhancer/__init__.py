"""LLM Document Enhancer: PDFs in, validated structured metadata out."""

__version__ = "0.1.0"
SCHEMA_VERSION = "1.0"
