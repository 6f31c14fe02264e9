"""The web service: FastAPI pages for coordinators, experts and auditors, live updates, and the JSON API."""

from huizhen.web.app import create_app

__all__ = ["create_app"]
