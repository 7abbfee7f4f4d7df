"""LLM Document Enhancer: PDFs in, validated structured metadata out."""

import os

# The project uses no pydantic plugins; without this, building the first model scans every installed
# distribution's entry points for them (importlib.metadata), a cold-start cost of every function.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

__version__ = "0.1.0"
