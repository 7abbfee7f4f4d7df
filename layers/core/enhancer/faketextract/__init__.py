"""A fake Amazon Textract server for tests and local runs (see ``server``)."""

from enhancer.faketextract.server import ACTIONS, FakeTextractServer, RecordedRequest

__all__ = ["ACTIONS", "FakeTextractServer", "RecordedRequest"]
