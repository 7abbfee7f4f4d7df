"""PDF extraction: pypdf for structure, PDFium (or pypdf) for page text, then chapter detection."""

from enhancer.pdf.extract import extract_pdf

__all__ = ["extract_pdf"]
