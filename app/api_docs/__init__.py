"""The interactive API docs, Swagger UI at `/docs` and ReDoc at `/redoc`, from files the
app serves itself (`static/`, pinned in `static/assets.json`): no CDN, so they work offline."""
