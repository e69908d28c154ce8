"""Unity Catalog grants: PATCH semantics, validation, who may grant, effective permissions with
inheritance, EXECUTE enforcement end to end, and consistency under concurrent grants."""

from __future__ import annotations

import threading
import uuid

import httpx
import pytest
from databricks.sdk.errors import BadRequest, NotFound, PermissionDenied
from databricks.sdk.service.catalog import CreateFunction, PermissionsChange, Privilege
from databricks.sdk.service.sql import StatementState

from agent_lib.emulator.catalog.functions import execute_function
from agent_lib.emulator.core.demo_ids import WAREHOUSE_ID
from agent_lib.emulator.core.errors import ApiError

ALICE = "alice@example.com"
BOB = "bob@example.com"


def _function(schema: str, name: str) -> CreateFunction:
    catalog, sch = schema.split(".")
    return CreateFunction.from_dict({
        "name": name, "catalog_name": catalog, "schema_name": sch,
        "input_params": {"parameters": [{"name": "x", "type_name": "LONG", "type_text": "bigint",
                                         "position": 0}]},
        "data_type": "LONG", "full_data_type": "BIGINT", "routine_body": "SQL",
        "routine_definition": "x + 1", "parameter_style": "S", "is_deterministic": True,
        "sql_data_access": "CONTAINS_SQL", "is_null_call": False, "security_type": "DEFINER",
        "specific_name": name})


@pytest.fixture
def setup(admin):
    """A fresh catalog, schema and function per test: grants never leak between tests."""
    cat = "g_" + uuid.uuid4().hex[:8]
    admin.catalogs.create(name=cat)
    admin.schemas.create(name="s", catalog_name=cat)
    fn = admin.functions.create(_function(f"{cat}.s", "inc")).full_name
    yield cat, f"{cat}.s", fn
    admin.catalogs.delete(cat, force=True)


def _change(principal: str, add=(), remove=()) -> list[PermissionsChange]:
    return [PermissionsChange(principal=principal, add=list(add) or None, remove=list(remove) or None)]


def _privs(resp, principal: str) -> set[str]:
    for a in resp.privilege_assignments or []:
        if a.principal == principal:
            return {p.value for p in a.privileges}
    return set()


def test_patch_semantics(admin, setup):
    cat, _, fn = setup
    r = admin.grants.update("function", fn, changes=_change(ALICE, add=[Privilege.EXECUTE]))
    assert _privs(r, ALICE) == {"EXECUTE"}
    admin.grants.update("FUNCTION", fn, changes=_change(BOB, add=[Privilege.EXECUTE, Privilege.MANAGE]))
    r = admin.grants.update("function", fn, changes=_change(BOB, remove=[Privilege.MANAGE]))
    assert _privs(r, ALICE) == {"EXECUTE"} and _privs(r, BOB) == {"EXECUTE"}
    r = admin.grants.update("function", fn, changes=_change(ALICE, remove=[Privilege.EXECUTE]))
    assert ALICE not in [a.principal for a in r.privilege_assignments]
    got = admin.grants.get("function", fn)
    assert [a.principal for a in got.privilege_assignments] == [BOB]
    assert admin.grants.get("function", fn, principal=ALICE).privilege_assignments in (None, [])
    r = admin.grants.update("catalog", cat, changes=_change("account users", add=[Privilege.USE_CATALOG]))
    assert _privs(r, "account users") == {"USE_CATALOG"}


@pytest.mark.parametrize("kind,priv,needle", [
    ("function", "USE_CONNECTION", "not applicable"),
    ("function", "SELECT", "not applicable"),
    ("catalog", "USE_CONNECTION", "not applicable"),
    ("connection", "EXECUTE", "not applicable"),
    ("schema", "FLY", "FLY"),
])
def test_privileges_validated_per_type(emulator, setup, kind, priv, needle):
    cat, schema, fn = setup
    name = {"function": fn, "catalog": cat, "schema": schema, "connection": "ticketing"}[kind]
    with httpx.Client(base_url=emulator.host, headers={"Authorization": f"Bearer {emulator.token}"}) as c:
        r = c.patch(f"/api/2.1/unity-catalog/permissions/{kind}/{name}",
                    json={"changes": [{"principal": ALICE, "add": [priv]}]})
    assert r.status_code == 400, r.text
    assert needle in r.json()["message"] and priv in r.json()["message"]


def test_grant_errors(emulator, admin, alice, setup):
    cat, schema, fn = setup
    with pytest.raises(NotFound):
        admin.grants.update("function", f"{schema}.nope", changes=_change(ALICE, add=[Privilege.EXECUTE]))
    with pytest.raises(NotFound):
        admin.grants.get("connection", "nope")
    with pytest.raises(BadRequest, match="principal"):
        admin.grants.update("function", fn, changes=_change("nobody@example.com", add=[Privilege.EXECUTE]))
    with pytest.raises(BadRequest, match="securable type"):
        admin.grants.get("spaceship", fn)
    with pytest.raises(PermissionDenied):
        alice.grants.update("function", fn, changes=_change(ALICE, add=[Privilege.EXECUTE]))
    # a rejected change leaves the grants untouched (all or nothing)
    with httpx.Client(base_url=emulator.host, headers={"Authorization": f"Bearer {emulator.token}"}) as c:
        r = c.patch(f"/api/2.1/unity-catalog/permissions/function/{fn}",
                    json={"changes": [{"principal": ALICE, "add": ["EXECUTE"]},
                                      {"principal": BOB, "add": ["BOGUS"]}]})
        assert r.status_code == 400
    assert _privs(admin.grants.get("function", fn), ALICE) == set()


def test_owners_and_manage_holders_may_grant(admin, alice, setup):
    cat, schema, fn = setup
    admin.grants.update("catalog", cat, changes=_change(ALICE, add=[Privilege.USE_CATALOG]))
    admin.grants.update("schema", schema,
                        changes=_change(ALICE, add=[Privilege.USE_SCHEMA, Privilege.MANAGE]))
    r = alice.grants.update("function", fn, changes=_change(BOB, add=[Privilege.EXECUTE]))
    assert _privs(r, BOB) == {"EXECUTE"}
    admin.grants.update("schema", schema, changes=_change(ALICE, add=[Privilege.ALL_PRIVILEGES],
                                                            remove=[Privilege.MANAGE]))
    with pytest.raises(PermissionDenied):  # ALL_PRIVILEGES does not include MANAGE
        alice.grants.update("function", fn, changes=_change(BOB, add=[Privilege.EXECUTE]))


def test_effective_permissions_show_inheritance(admin, setup):
    cat, schema, fn = setup
    admin.grants.update("catalog", cat,
                        changes=_change(ALICE, add=[Privilege.USE_CATALOG, Privilege.EXECUTE]))
    admin.grants.update("schema", schema, changes=_change(ALICE, add=[Privilege.USE_SCHEMA]))
    eff = admin.grants.get_effective("function", fn, principal=ALICE)
    [assignment] = eff.privilege_assignments
    assert assignment.principal == ALICE
    [p] = assignment.privileges
    assert p.privilege == Privilege.EXECUTE
    assert p.inherited_from_type.value == "CATALOG" and p.inherited_from_name == cat
    eff = admin.grants.get_effective("schema", schema, principal=ALICE)
    got = {(p.privilege.value, p.inherited_from_name) for p in eff.privilege_assignments[0].privileges}
    assert got == {("USE_SCHEMA", None), ("EXECUTE", cat)}
    admin.grants.update("function", fn, changes=_change(ALICE, add=[Privilege.EXECUTE]))
    eff = admin.grants.get_effective("function", fn, principal=ALICE)
    got = {(p.privilege.value, p.inherited_from_name) for p in eff.privilege_assignments[0].privileges}
    assert got == {("EXECUTE", None), ("EXECUTE", cat)}


def test_demo_grants(admin):
    eff = admin.grants.get_effective("schema", "main.sales", principal="account users")
    assert {p.privilege.value for p in eff.privilege_assignments[0].privileges} == {"USE_SCHEMA", "SELECT"}
    cat = admin.grants.get("catalog", "main")
    assert _privs(cat, "account users") == {"USE_CATALOG"}
    for fn in ("main.sales.get_order_status", "main.sales.convert_currency",
               "main.support.days_until_sla_breach"):
        assert not admin.grants.get_effective("function", fn).privilege_assignments


def test_execute_denied_then_granted(emulator, admin, alice, setup):
    cat, schema, fn = setup
    state = emulator.state
    alice_p = state.identities.resolve(emulator.token_for(ALICE))

    def run():
        return alice.statement_execution.execute_statement(statement=f"SELECT {fn}(41) AS v",
                                                           warehouse_id=WAREHOUSE_ID)

    assert run().status.state == StatementState.FAILED
    with pytest.raises(ApiError) as exc:
        execute_function(state, alice_p, fn, {"x": 1})
    assert exc.value.status == 403
    admin.grants.update("function", fn, changes=_change(ALICE, add=[Privilege.EXECUTE]))
    # EXECUTE alone is not enough: the parents must be usable too
    assert run().status.state == StatementState.FAILED
    admin.grants.update("catalog", cat, changes=_change(ALICE, add=[Privilege.USE_CATALOG]))
    admin.grants.update("schema", schema, changes=_change(ALICE, add=[Privilege.USE_SCHEMA]))
    r = run()
    assert r.status.state == StatementState.SUCCEEDED and r.result.data_array == [["42"]]
    assert execute_function(state, alice_p, fn, {"x": 1}).value == 2
    assert alice.functions.get(fn).full_name == fn
    admin.grants.update("function", fn, changes=_change(ALICE, remove=[Privilege.EXECUTE]))
    assert run().status.state == StatementState.FAILED
    # USE_SCHEMA and EXECUTE granted on the catalog are inherited by everything inside it
    admin.grants.update("schema", schema, changes=_change(ALICE, remove=[Privilege.USE_SCHEMA]))
    admin.grants.update("catalog", cat, changes=_change(ALICE, add=[Privilege.USE_SCHEMA, Privilege.EXECUTE]))
    assert run().status.state == StatementState.SUCCEEDED


def test_concurrent_grants_stay_consistent(emulator, setup):
    _, _, fn = setup
    privileges = ["EXECUTE", "MANAGE", "ALL_PRIVILEGES"]
    users = [f"user{i}@example.com" for i in range(16)]
    for u in users:
        emulator.state.identities.add_user(u)
    errors: list[BaseException] = []
    barrier = threading.Barrier(16)

    def worker(i: int) -> None:
        try:
            with httpx.Client(base_url=emulator.host,
                              headers={"Authorization": f"Bearer {emulator.token}"}, timeout=30) as c:
                barrier.wait()
                for round_ in range(6):
                    priv = privileges[round_ % 3]
                    r = c.patch(f"/api/2.1/unity-catalog/permissions/function/{fn}",
                                json={"changes": [{"principal": users[i], "add": [priv]},
                                                  {"principal": ALICE, "add": ["EXECUTE"]}]})
                    assert r.status_code == 200, r.text
                    assert c.get(f"/api/2.1/unity-catalog/permissions/function/{fn}").status_code == 200
                if i % 2:
                    r = c.patch(f"/api/2.1/unity-catalog/permissions/function/{fn}",
                                json={"changes": [{"principal": users[i], "remove": ["MANAGE"]}]})
                    assert r.status_code == 200
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[0]
    with httpx.Client(base_url=emulator.host, headers={"Authorization": f"Bearer {emulator.token}"}) as c:
        got = c.get(f"/api/2.1/unity-catalog/permissions/function/{fn}").json()["privilege_assignments"]
    by = {a["principal"]: set(a["privileges"]) for a in got}
    assert by[ALICE] == {"EXECUTE"}
    for i, u in enumerate(users):
        expected = {"EXECUTE", "ALL_PRIVILEGES"} | (set() if i % 2 else {"MANAGE"})
        assert by[u] == expected, (u, by[u])
    assert len(got) == 17
