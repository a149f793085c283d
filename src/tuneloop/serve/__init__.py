"""The HTTP server: an OpenAI-compatible API (``tuneloop serve``)."""
