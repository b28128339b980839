"""The admin REST API served by ucd (FastAPI on the daemon's one uvicorn)."""

from .api import AdminContext, create_admin_app

__all__ = ["AdminContext", "create_admin_app"]
