from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Authorize
from app.auth.principal import Principal
from app.models.enums import Scope

# The pipeline (companies, outreach, interviews) is the client's own job search, worked
# like their contacts: every member role may manage what it can see, and API keys need
# the contacts scopes.
PipelineReader = Annotated[Principal, Depends(Authorize(Scope.contacts_read))]
PipelineWriter = Annotated[Principal, Depends(Authorize(Scope.contacts_write))]
