"""The web calculator: a FastAPI app (app.py) and its page (static/), no build step."""
