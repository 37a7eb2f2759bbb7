from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Authorize
from app.auth.principal import Principal
from app.models.enums import Scope

# Every role may log interactions with the contacts it can see (a client logs their own).
InteractionReader = Annotated[Principal, Depends(Authorize(Scope.contacts_read))]
InteractionWriter = Annotated[Principal, Depends(Authorize(Scope.contacts_write))]
