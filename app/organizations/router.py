from app.core.errors import problem_responses
from app.core.routing import api_router

router = api_router(tags=["organization"], responses=problem_responses(401, 403, 422))
