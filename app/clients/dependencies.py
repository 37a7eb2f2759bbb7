from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Authorize
from app.auth.principal import Principal
from app.models.enums import Scope

ClientReader = Annotated[Principal, Depends(Authorize(Scope.clients_read))]
ClientWriter = Annotated[Principal, Depends(Authorize(Scope.clients_write))]
