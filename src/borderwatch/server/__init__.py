"""The live operations service: FastAPI app (one router per resource), ingest, picture feed, live driver.

``create_app(settings)`` builds the app; ``borderwatch serve`` (``cli_serve.py``) runs it under uvicorn.
"""

from borderwatch.server.settings import Settings

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> object:  # lazy: importing the package must not import FastAPI
    if name == "create_app":
        from borderwatch.server.app import create_app

        return create_app
    raise AttributeError(name)
