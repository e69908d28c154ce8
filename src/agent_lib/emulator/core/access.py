"""Access checks shared by every service: workspace ACLs and Unity Catalog privileges.

Two permission systems exist on Databricks and the emulator keeps both, because the package's
grant step must be testable for real:

* workspace object ACLs (`/api/2.0/permissions/{type}/{id}`): levels such as CAN_RUN on a Genie
  space, CAN_QUERY on a serving endpoint, CAN_USE on an App; higher levels imply lower ones;
* Unity Catalog privileges (`/api/2.1/unity-catalog/permissions/{securable}/{name}`): EXECUTE on a
  function needs USE_CATALOG and USE_SCHEMA on its parents too; privileges granted on a catalog or
  schema are inherited by what is inside it; owners and ALL_PRIVILEGES imply everything.

Workspace admins pass every check, as on Databricks.
"""

from __future__ import annotations

from typing import Any

from .errors import permission_denied
from .identity import Principal
from .store import Store

# Ordered low -> high; a grant of a level implies every level before it. IS_OWNER is the top of the
# types that have one (a job's or warehouse's owner can manage it).
LEVELS: dict[str, tuple[str, ...]] = {
    "genie": ("CAN_VIEW", "CAN_RUN", "CAN_EDIT", "CAN_MANAGE"),
    "serving-endpoints": ("CAN_VIEW", "CAN_QUERY", "CAN_MANAGE"),
    "apps": ("CAN_USE", "CAN_MANAGE"),
    "experiments": ("CAN_READ", "CAN_EDIT", "CAN_MANAGE"),
    "knowledge-assistants": ("CAN_QUERY", "CAN_MANAGE"),
    "supervisor-agents": ("CAN_QUERY", "CAN_MANAGE"),
    "jobs": ("CAN_VIEW", "CAN_MANAGE_RUN", "CAN_MANAGE", "IS_OWNER"),
    "warehouses": ("CAN_VIEW", "CAN_MONITOR", "CAN_USE", "CAN_MANAGE", "IS_OWNER"),
}

_NOUN = {"genie": "Genie space", "serving-endpoints": "serving endpoint", "apps": "app",
         "experiments": "experiment", "knowledge-assistants": "knowledge assistant",
         "supervisor-agents": "supervisor agent", "jobs": "job", "warehouses": "SQL warehouse"}


def noun(object_type: str) -> str:
    """What error messages call an object of this type: `serving endpoint`, `Genie space`, ..."""
    return _NOUN.get(object_type, object_type)


def principal_key(kind: str, name: str) -> str:
    """ACL entry key: `user:<email>`, `service_principal:<application id>` or `group:<name>`."""
    return f"{kind}:{name}"


class Acls:
    """Workspace object ACLs, stored per object as {owner, entries: {principal_key: [levels]}}."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @staticmethod
    def _key(object_type: str, object_id: str) -> str:
        return f"{object_type}/{object_id}"

    def get(self, object_type: str, object_id: str) -> dict[str, Any]:
        return self.store.get("acl", self._key(object_type, object_id)) or {"owner": None, "entries": {}}

    def create(self, object_type: str, object_id: str, owner: Principal | None) -> None:
        """Record a new object's owner (CAN_MANAGE), as Databricks does for its creator."""
        owner_key = owner.acl_keys[0] if owner else None
        self.store.put("acl", self._key(object_type, object_id), {"owner": owner_key, "entries": {}})

    def drop(self, object_type: str, object_id: str) -> None:
        self.store.delete("acl", self._key(object_type, object_id))

    def grant(self, object_type: str, object_id: str, key: str, level: str, *, replace: bool = False) -> None:
        with self.store.transaction():
            doc = self.get(object_type, object_id)
            levels = [] if replace else list(doc["entries"].get(key, []))
            if level not in levels:
                levels.append(level)
            doc["entries"][key] = levels
            self.store.put("acl", self._key(object_type, object_id), doc)

    def put(self, object_type: str, object_id: str, doc: dict[str, Any]) -> None:
        self.store.put("acl", self._key(object_type, object_id), doc)

    def effective_level(self, principal: Principal, object_type: str, object_id: str) -> str | None:
        """The highest level the principal holds on the object, directly or through a group."""
        order = LEVELS.get(object_type, ("CAN_VIEW", "CAN_USE", "CAN_MANAGE"))
        if principal.admin:
            return order[-1]
        doc = self.get(object_type, object_id)
        if doc.get("owner") in principal.acl_keys:
            return order[-1]
        held = [lvl for k in principal.acl_keys for lvl in doc["entries"].get(k, [])]
        ranked = [order.index(lvl) for lvl in held if lvl in order]
        return order[max(ranked)] if ranked else None

    def allows(self, principal: Principal, object_type: str, object_id: str, level: str) -> bool:
        order = LEVELS.get(object_type, ("CAN_VIEW", "CAN_USE", "CAN_MANAGE"))
        have = self.effective_level(principal, object_type, object_id)
        return have is not None and order.index(have) >= order.index(level)

    def require(self, principal: Principal, object_type: str, object_id: str, level: str,
                label: str | None = None) -> None:
        """Raise Databricks' PERMISSION_DENIED unless the principal holds `level` (or higher)."""
        if not self.allows(principal, object_type, object_id, level):
            noun = _NOUN.get(object_type, object_type)
            raise permission_denied(
                f"User {principal.name} does not have {level} on {noun} '{label or object_id}'."
            )


# Unity Catalog -------------------------------------------------------------------------------

_PARENT_PRIVS = {"catalog": "USE_CATALOG", "schema": "USE_SCHEMA"}


class Grants:
    """UC privileges, stored per securable as {owner, privileges: {principal: [privileges]}}.

    Principals are the strings the UC API uses: a user name, a service principal application id,
    or a group name.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    @staticmethod
    def _key(securable_type: str, full_name: str) -> str:
        return f"{securable_type.lower()}/{full_name.lower()}"

    def get(self, securable_type: str, full_name: str) -> dict[str, Any]:
        return self.store.get("grant", self._key(securable_type, full_name)) or {
            "owner": None, "privileges": {}}

    def put(self, securable_type: str, full_name: str, doc: dict[str, Any]) -> None:
        self.store.put("grant", self._key(securable_type, full_name), doc)

    def create(self, securable_type: str, full_name: str, owner: str | None) -> None:
        self.put(securable_type, full_name, {"owner": owner, "privileges": {}})

    def drop(self, securable_type: str, full_name: str) -> None:
        self.store.delete("grant", self._key(securable_type, full_name))

    def update(self, securable_type: str, full_name: str, principal: str,
               add: list[str] | None = None, remove: list[str] | None = None) -> dict[str, Any]:
        """PATCH semantics: add and remove privileges of one principal, keep everything else.

        Principal names match case-insensitively (as UC does); the first spelling is kept.
        """
        with self.store.transaction():
            doc = self.get(securable_type, full_name)
            key = next((k for k in doc["privileges"] if k.lower() == principal.lower()), principal)
            privs = [p for p in doc["privileges"].get(key, []) if p not in (remove or [])]
            privs += [p for p in (add or []) if p not in privs]
            if privs:
                doc["privileges"][key] = privs
            else:
                doc["privileges"].pop(key, None)
            self.put(securable_type, full_name, doc)
            return doc

    @staticmethod
    def _names(principal: Principal) -> set[str]:
        # Every principal of the account is in UC's built-in `account users` group.
        return {principal.name.lower(), "account users", *(g.lower() for g in principal.groups)}

    def _held(self, principal: Principal, securable_type: str, full_name: str) -> set[str]:
        doc = self.get(securable_type, full_name)
        names = self._names(principal)
        held = {p for who, ps in doc["privileges"].items() if who.lower() in names for p in ps}
        if (doc.get("owner") or "").lower() in names:
            held |= {"ALL_PRIVILEGES", "MANAGE"}
        return held

    def has(self, principal: Principal, securable_type: str, full_name: str, privilege: str) -> bool:
        """Whether the principal can use the securable for `privilege`, parents and inheritance included.

        Privileges granted on a catalog or schema are inherited by everything inside it (USE_SCHEMA
        granted on a catalog makes its schemas usable). Every parent must be usable: USE_CATALOG on
        the catalog and USE_SCHEMA on the schema, or ALL_PRIVILEGES / ownership. ALL_PRIVILEGES
        implies every privilege except MANAGE, as on Databricks; owners hold MANAGE too.
        """
        return self.missing(principal, securable_type, full_name, privilege) is None

    def missing(self, principal: Principal, securable_type: str, full_name: str,
                privilege: str) -> str | None:
        """What `has` finds missing, as Databricks' errors name it ("USE SCHEMA on Schema
        'main.hr'", "SELECT on Table 'main.hr.salaries'"), or None when nothing is."""
        if principal.admin:
            return None
        chain = _chain(securable_type.lower(), full_name)
        inherited: set[str] = set()
        for i, (kind, name) in enumerate(chain):
            inherited |= self._held(principal, kind, name)
            if i < len(chain) - 1:
                need = _PARENT_PRIVS.get(kind)
                if need and not inherited & {need, "ALL_PRIVILEGES"}:
                    return f"{need.replace('_', ' ')} on {kind.title()} '{name}'"
        if privilege in inherited or ("ALL_PRIVILEGES" in inherited and privilege != "MANAGE"):
            return None
        return f"{privilege.replace('_', ' ')} on {securable_type.title()} '{full_name}'"

    def require(self, principal: Principal, securable_type: str, full_name: str, privilege: str) -> None:
        if not self.has(principal, securable_type, full_name, privilege):
            raise permission_denied(
                f"User does not have {privilege} on {securable_type.title()} '{full_name}' "
                f"(or USE CATALOG / USE SCHEMA on its parents)."
            )


def _chain(securable_type: str, full_name: str) -> list[tuple[str, str]]:
    """Parents then the object: function a.b.c -> [(catalog, a), (schema, a.b), (function, a.b.c)]."""
    parts = full_name.split(".")
    if securable_type in ("function", "table", "volume", "model") and len(parts) == 3:
        return [("catalog", parts[0]), ("schema", ".".join(parts[:2])), (securable_type, full_name)]
    if securable_type == "schema" and len(parts) == 2:
        return [("catalog", parts[0]), ("schema", full_name)]
    return [(securable_type, full_name)]
