"""Workspace files through the real SDK: what App source upload and notebook workflows use."""

from __future__ import annotations

import base64
import io
import uuid
import zipfile

import httpx
import pytest
from databricks.sdk.errors import NotFound, PermissionDenied, ResourceAlreadyExists
from databricks.sdk.service.workspace import ExportFormat, ImportFormat, Language, ObjectType


@pytest.fixture
def folder(admin):
    path = f"/Users/admin@example.com/wsf-{uuid.uuid4().hex[:8]}"
    admin.workspace.mkdirs(path)
    yield path
    admin.workspace.delete(path, recursive=True)


def test_upload_download_round_trip(admin, folder):
    admin.workspace.upload(f"{folder}/app.py", b"print('hi')\n", format=ImportFormat.AUTO)
    admin.workspace.upload(f"{folder}/data.bin", bytes(range(256)), format=ImportFormat.AUTO)
    assert admin.workspace.download(f"{folder}/app.py").read() == b"print('hi')\n"
    assert admin.workspace.download(f"{folder}/data.bin").read() == bytes(range(256))
    info = admin.workspace.get_status(f"{folder}/app.py")
    assert info.object_type == ObjectType.FILE
    assert info.path == f"{folder}/app.py"
    assert info.size == len(b"print('hi')\n")
    assert isinstance(info.object_id, int) and info.modified_at and info.language is None


def test_workspace_prefix_is_accepted_and_stripped(admin, folder):
    admin.workspace.upload(f"/Workspace{folder}/x.txt", b"x", format=ImportFormat.AUTO)
    info = admin.workspace.get_status(f"/Workspace{folder}/x.txt")
    assert info.path == f"{folder}/x.txt"
    assert [o.path for o in admin.workspace.list(folder)] == [f"{folder}/x.txt"]


def test_overwrite_and_exists(admin, folder):
    path = f"{folder}/app.yaml"
    admin.workspace.upload(path, b"command: [a]", format=ImportFormat.AUTO)
    with pytest.raises(ResourceAlreadyExists):
        admin.workspace.upload(path, b"command: [b]", format=ImportFormat.AUTO)
    admin.workspace.upload(path, b"command: [b]", format=ImportFormat.AUTO, overwrite=True)
    assert admin.workspace.download(path).read() == b"command: [b]"


def test_missing_parent_and_missing_object(admin, folder):
    with pytest.raises(NotFound, match="parent folder"):
        admin.workspace.upload(f"{folder}/no/such/dir/a.py", b"x", format=ImportFormat.AUTO)
    with pytest.raises(NotFound):
        admin.workspace.get_status(f"{folder}/missing.py")
    with pytest.raises(NotFound):
        admin.workspace.delete(f"{folder}/missing.py")


def test_mkdirs_list_recursive_delete(admin, folder):
    admin.workspace.mkdirs(f"{folder}/a/b/c")
    admin.workspace.mkdirs(f"{folder}/a/b/c")  # idempotent
    admin.workspace.upload(f"{folder}/a/b/c/f.txt", b"1", format=ImportFormat.AUTO)
    admin.workspace.upload(f"{folder}/a/g.txt", b"2", format=ImportFormat.AUTO)
    top = list(admin.workspace.list(folder))
    assert [(o.path, o.object_type) for o in top] == [(f"{folder}/a", ObjectType.DIRECTORY)]
    files = sorted(o.path for o in admin.workspace.list(folder, recursive=True))
    assert files == [f"{folder}/a/b/c/f.txt", f"{folder}/a/g.txt"]
    # a file on the way blocks mkdirs; a non-empty folder needs recursive
    with pytest.raises(ResourceAlreadyExists):
        admin.workspace.mkdirs(f"{folder}/a/g.txt/sub")
    from databricks.sdk.errors import DatabricksError

    with pytest.raises(DatabricksError) as err:
        admin.workspace.delete(f"{folder}/a")
    assert err.value.error_code == "DIRECTORY_NOT_EMPTY"
    admin.workspace.delete(f"{folder}/a", recursive=True)
    assert list(admin.workspace.list(folder)) == []


def test_json_import_and_notebooks(admin, folder):
    src = "# Databricks notebook source\nprint(1)\n"
    admin.workspace.import_(f"{folder}/nb", content=base64.b64encode(src.encode()).decode(),
                            format=ImportFormat.SOURCE, language=Language.PYTHON)
    info = admin.workspace.get_status(f"{folder}/nb")
    assert info.object_type == ObjectType.NOTEBOOK and info.language == Language.PYTHON
    exported = admin.workspace.export(f"{folder}/nb", format=ExportFormat.SOURCE)
    assert base64.b64decode(exported.content).decode() == src
    assert exported.file_type == "py"
    # AUTO with the notebook header: a notebook, extension stripped
    admin.workspace.upload(f"{folder}/auto.py", src.encode(), format=ImportFormat.AUTO)
    assert admin.workspace.get_status(f"{folder}/auto").object_type == ObjectType.NOTEBOOK
    # SOURCE without a language is refused, as on Databricks (the SDK adds its AUTO hint)
    from databricks.sdk.errors import DatabricksError

    with pytest.raises(DatabricksError, match="format=ImportFormat.AUTO"):
        admin.workspace.upload(f"{folder}/plain.txt", b"x")
    # a directory exports as a zip of its notebooks (SOURCE) or everything (AUTO)
    admin.workspace.upload(f"{folder}/f.txt", b"file", format=ImportFormat.AUTO)
    z = admin.workspace.export(folder, format=ExportFormat.AUTO)
    names = zipfile.ZipFile(io.BytesIO(base64.b64decode(z.content))).namelist()
    assert sorted(names) == ["auto.py", "f.txt", "nb.py"]


def test_home_folders_and_permissions(emulator, admin, alice):
    home = "/Users/alice@example.com"
    assert alice.workspace.get_status(home).object_type == ObjectType.DIRECTORY
    alice.workspace.upload(f"{home}/mine-{uuid.uuid4().hex[:6]}.txt", b"a", format=ImportFormat.AUTO)
    with pytest.raises(PermissionDenied):
        alice.workspace.upload("/Users/admin@example.com/alice.txt", b"x", format=ImportFormat.AUTO)
    with pytest.raises(PermissionDenied):
        list(alice.workspace.list("/Users/admin@example.com"))
    listed = [o.path for o in alice.workspace.list("/Users")]
    assert listed == [home]


def test_raw_http_errors(emulator):
    h = {"Authorization": f"Bearer {emulator.token}"}
    r = httpx.post(f"{emulator.host}/api/2.0/workspace/import", headers=h,
                   json={"path": "relative/x", "content": "", "format": "AUTO"})
    assert r.status_code == 400 and "path" in r.json()["message"]
    r = httpx.post(f"{emulator.host}/api/2.0/workspace/import", headers=h,
                   json={"path": "/Shared/x", "content": "!!notbase64", "format": "AUTO"})
    assert r.status_code == 400 and "content" in r.json()["message"]
    r = httpx.post(f"{emulator.host}/api/2.0/workspace/mkdirs", headers=h,
                   json={"path": "/Shared/x", "bogus": 1})
    assert r.status_code == 400 and "bogus" in r.json()["message"]
    assert httpx.get(f"{emulator.host}/api/2.0/workspace/list", params={"path": "/"}).status_code == 401
