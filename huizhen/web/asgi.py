"""For running the web service under uvicorn (or gunicorn with uvicorn workers) directly, one app per worker:

    uvicorn --factory huizhen.web.asgi:create --workers 4 --host 127.0.0.1 --port 8000 --proxy-headers

Reads HUIZHEN_CONFIG and HUIZHEN_DATABASE_URL like the CLI; HUIZHEN_SECRET_KEY (the same in every worker and host)
signs the session cookies; HUIZHEN_WEB_SECURE_COOKIES=1 behind HTTPS. The scheduler is not started here: run
`huizhen scheduler run` beside the workers: it sends what the workers' commits make owed (minutes, invitations).
"""

from __future__ import annotations

import os

from fastapi import FastAPI


def create() -> FastAPI:
    from huizhen.bootstrap import bootstrap
    from huizhen.logs import setup_logging
    from huizhen.web.app import create_app

    hz = bootstrap()
    log_file = hz.settings.resolve(hz.settings.log_file) if hz.settings.log_file else None
    setup_logging(log_file, level="INFO")
    hz.require_schema()
    hz.refresh_calendar()
    return create_app(hz, secure_cookies=os.environ.get("HUIZHEN_WEB_SECURE_COOKIES", "") in ("1", "true", "yes"),
                      deliveries_nudge=lambda: None)  # the daemon's heartbeat sends
