"""SCIM routes (`/api/2.0/preview/scim/v2/...`): Me, Users, ServicePrincipals, Groups."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from ..core.deps import Caller, State
from ..core.identity import ALL_APIS, require_scope
from . import models
from .listing import list_response, project
from .resources import me

router = APIRouter(prefix="/api/2.0/preview/scim/v2", tags=["iam"])

ME_SCOPE = "iam.current-user:read"


class ListQuery(BaseModel):
    """The SCIM list parameters the SDK sends (camelCase on the wire)."""

    model_config = ConfigDict(populate_by_name=True)

    filter: str | None = None
    attributes: str | None = None
    excluded_attributes: str | None = Field(None, alias="excludedAttributes")
    start_index: int | None = Field(None, alias="startIndex")
    count: int | None = None
    sort_by: str | None = Field(None, alias="sortBy")
    sort_order: str | None = Field(None, alias="sortOrder")


def _listing(resources: list[dict[str, Any]], q: ListQuery) -> dict[str, Any]:
    return list_response(resources, filter=q.filter, start_index=q.start_index, count=q.count,
                                sort_by=q.sort_by, sort_order=q.sort_order, attributes=q.attributes,
                                excluded=q.excluded_attributes)


class ScimMember(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    value: str
    display: str | None = None


class UserBody(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    user_name: str = Field(alias="userName")
    display_name: str | None = Field(None, alias="displayName")
    active: bool | None = None
    groups: list[ScimMember] | None = None


class ServicePrincipalBody(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    application_id: str | None = Field(None, alias="applicationId")
    display_name: str | None = Field(None, alias="displayName")
    active: bool | None = None
    groups: list[ScimMember] | None = None


@router.get("/Me")
def get_me(state: State, caller: Caller, attributes: str | None = None,
           excluded_attributes: Annotated[str | None, Query(alias="excludedAttributes")] = None
           ) -> dict[str, Any]:
    require_scope(caller, ME_SCOPE)
    return project(me(state, caller), attributes, excluded_attributes)


# -- users ------------------------------------------------------------------------------------

@router.get("/Users")
def list_users(state: State, caller: Caller, q: Annotated[ListQuery, Query()]) -> dict[str, Any]:
    require_scope(caller, ALL_APIS)
    return _listing(models.users(state), q)


@router.get("/Users/{user_id}")
def get_user(user_id: str, state: State, caller: Caller, attributes: str | None = None,
             excluded_attributes: Annotated[str | None, Query(alias="excludedAttributes")] = None
             ) -> dict[str, Any]:
    require_scope(caller, ALL_APIS)
    return project(models.get_user(state, user_id), attributes, excluded_attributes)


@router.post("/Users", status_code=201)
def create_user(body: UserBody, state: State, caller: Caller) -> dict[str, Any]:
    require_scope(caller, ALL_APIS)
    return models.create_user(state, caller, body.user_name, body.display_name, body.active,
                              [g.model_dump() for g in body.groups] if body.groups else None)


# -- service principals -----------------------------------------------------------------------

@router.get("/ServicePrincipals")
def list_service_principals(state: State, caller: Caller, q: Annotated[ListQuery, Query()]
                            ) -> dict[str, Any]:
    require_scope(caller, ALL_APIS)
    return _listing(models.service_principals(state), q)


@router.get("/ServicePrincipals/{sp_id}")
def get_service_principal(sp_id: str, state: State, caller: Caller) -> dict[str, Any]:
    require_scope(caller, ALL_APIS)
    return models.get_service_principal(state, sp_id)


@router.post("/ServicePrincipals", status_code=201)
def create_service_principal(body: ServicePrincipalBody, state: State, caller: Caller) -> dict[str, Any]:
    require_scope(caller, ALL_APIS)
    return models.create_service_principal(
        state, caller, body.display_name, body.application_id, body.active,
        [g.model_dump() for g in body.groups] if body.groups else None)


@router.delete("/ServicePrincipals/{sp_id}", status_code=204)
def delete_service_principal(sp_id: str, state: State, caller: Caller) -> Response:
    require_scope(caller, ALL_APIS)
    models.delete_service_principal(state, caller, sp_id)
    return Response(status_code=204)


# -- groups -----------------------------------------------------------------------------------

@router.get("/Groups")
def list_groups(state: State, caller: Caller, q: Annotated[ListQuery, Query()]) -> dict[str, Any]:
    require_scope(caller, ALL_APIS)
    return _listing(models.groups(state), q)


@router.get("/Groups/{gid}")
def get_group(gid: str, state: State, caller: Caller) -> dict[str, Any]:
    require_scope(caller, ALL_APIS)
    return models.get_group(state, gid)
