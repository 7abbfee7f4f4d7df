"""The HTTP API: Powertools REST resolver routes over plain logic (health, documents), error mapping."""
