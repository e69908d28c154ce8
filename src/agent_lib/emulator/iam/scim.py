"""The SCIM vocabulary the IAM endpoints speak: schema URNs and the SCIM error body.

A leaf module, so rendering, listing and the principal operations raise and label SCIM the same
way without importing each other.
"""

from __future__ import annotations

from typing import Any

from ..core.errors import ApiError

SCHEMA_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
SCHEMA_USER_WORKSPACE = "urn:ietf:params:scim:schemas:extension:workspace:2.0:User"
SCHEMA_SP = "urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"
SCHEMA_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
SCHEMA_LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SCHEMA_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"

Resource = dict[str, Any]


class ScimError(ApiError):
    """A SCIM error body (`{"schemas": [...Error], "detail", "status", "scimType"?}`), as the SCIM
    endpoints answer; the SDK maps it by HTTP status (NotFound, ResourceConflict, ...)."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(status, f"SCIM_{status}", detail)
        self.scim_type = scim_type

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schemas": [SCHEMA_ERROR], "detail": self.message, "status": str(self.status)}
        if self.scim_type:
            out["scimType"] = self.scim_type
        return out
