"""The web layer: FastAPI app factory, HTML pages, the JSON API. No business logic lives here."""
