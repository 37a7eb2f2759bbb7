from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Authorize
from app.auth.principal import Principal
from app.models.enums import Scope

# Every member role may manage the contacts it can see: a client works its own network.
ContactReader = Annotated[Principal, Depends(Authorize(Scope.contacts_read))]
ContactWriter = Annotated[Principal, Depends(Authorize(Scope.contacts_write))]
