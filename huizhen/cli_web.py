"""`huizhen serve`: the web service (FastAPI on uvicorn) with the scheduler alongside."""
