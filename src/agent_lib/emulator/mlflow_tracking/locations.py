"""Artifact locations as Databricks shows them, and the signed URLs that reach their files.

The tracking server stores artifacts under a local root (`<root>/<experiment>/...`). Databricks
shows every location under `dbfs:/databricks/mlflow-tracking/`, and MLflow's Databricks artifact
repository then asks the workspace for short-lived signed URLs (as it would for S3) and PUTs or GETs
the bytes there. So the emulator translates locations both ways and signs URLs that point back at
itself (`/_emulator/mlflow/files/<token>`), where the bytes land in the local root.

    local                                        on Databricks
    <root>/<exp>                                 dbfs:/databricks/mlflow-tracking/<exp>
    <root>/<exp>/<run>/artifacts/...             dbfs:/databricks/mlflow-tracking/<exp>/<run>/artifacts/...
    <root>/<exp>/traces/<tr-id>/artifacts        dbfs:/databricks/mlflow-tracking/<exp>/<tr-id>/artifacts
    <root>/<exp>/models/<m-id>/artifacts         dbfs:/databricks/mlflow-tracking/<exp>/logged_models/<m-id>/artifacts
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path, PurePosixPath
from typing import Any

DBFS_ROOT = "dbfs:/databricks/mlflow-tracking"
FILES_PREFIX = "/_emulator/mlflow/files/"
SIGNED_URL_TTL_S = 15 * 60


class Locations:
    """Translation between one server's local artifact root and Databricks' locations."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._prefixes = (f"file://{self.root}", str(self.root))

    # -- local -> Databricks ------------------------------------------------------------------
    def to_workspace(self, value: str) -> str:
        """`value` as Databricks shows it when it is a local artifact location; else unchanged."""
        for prefix in self._prefixes:
            if value == prefix or value.startswith(prefix + "/"):
                parts = value[len(prefix):].strip("/").split("/") if value != prefix else []
                if len(parts) >= 3 and parts[1] == "traces":
                    parts = [parts[0], *parts[2:]]
                elif len(parts) >= 3 and parts[1] == "models":
                    parts = [parts[0], "logged_models", *parts[2:]]
                return "/".join([DBFS_ROOT, *parts])
        return value

    def rewrite(self, payload: Any) -> Any:
        """Every local location inside a JSON payload, as Databricks shows it."""
        if isinstance(payload, dict):
            return {k: self.rewrite(v) for k, v in payload.items()}
        if isinstance(payload, list):
            return [self.rewrite(v) for v in payload]
        if isinstance(payload, str) and payload.startswith(("/", "file:")):
            return self.to_workspace(payload)
        return payload

    # -- local paths --------------------------------------------------------------------------
    def local(self, location: str) -> Path:
        """The local directory of an upstream location (a path or file:// URI under the root)."""
        raw = location.removeprefix("file://")
        path = Path(raw).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"artifact location {location!r} is outside the workspace's artifact root")
        return path

    def child(self, base: Path, relative: str | None) -> Path:
        """`base/relative` (relative may be empty), refusing `..` and absolute paths."""
        rel = PurePosixPath(relative or "")
        if rel.is_absolute() or ".." in rel.parts:
            raise ValueError(f"artifact path {relative!r} must be relative, without '..'")
        path = (base / rel).resolve() if rel.parts else base
        if not path.is_relative_to(self.root):
            raise ValueError(f"artifact path {relative!r} leaves the artifact root")
        return path

    def relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.root).as_posix()


class Signer:
    """Short-lived URLs for one file and one method, as a cloud store's presigned URLs are."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def token(self, relative: str, method: str, ttl_s: float = SIGNED_URL_TTL_S) -> str:
        claims = json.dumps({"p": relative, "m": method, "e": int(time.time() + ttl_s)},
                            separators=(",", ":")).encode()
        body = base64.urlsafe_b64encode(claims).decode().rstrip("=")
        return f"{body}.{self._mac(body)}"

    def verify(self, token: str, method: str) -> str:
        """The relative path a token grants `method` on; ValueError when it does not."""
        body, _, mac = token.partition(".")
        if not body or not hmac.compare_digest(mac, self._mac(body)):
            raise ValueError("the signature of this URL does not match")
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        if claims.get("m") != method:
            raise ValueError(f"this URL is signed for {claims.get('m')}, not {method}")
        if claims.get("e", 0) < time.time():
            raise ValueError("this URL has expired; ask for new credentials")
        return str(claims["p"])

    def _mac(self, body: str) -> str:
        return hmac.new(self._secret, body.encode(), hashlib.sha256).hexdigest()[:32]
