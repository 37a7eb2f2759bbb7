"""The OpenAPI document beyond what FastAPI writes: `document.finish` (see its docstring)."""
