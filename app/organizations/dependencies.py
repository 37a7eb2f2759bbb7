from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Authorize
from app.auth.principal import Principal
from app.models.enums import ADMIN_ROLES, STAFF_ROLES, Scope

OrganizationReader = Annotated[Principal, Depends(Authorize(Scope.organization_read))]
# Members, invitations and API keys are people and credentials: never an API key's business.
OrganizationAdmin = Annotated[Principal, Depends(Authorize(scope=None, roles=ADMIN_ROLES))]
StaffMember = Annotated[Principal, Depends(Authorize(scope=None, roles=STAFF_ROLES))]
