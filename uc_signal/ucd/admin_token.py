"""The admin API's bearer token: configured, or generated once into the data directory
(`admin-token`, mode 0600) where ucctl on the same host reads it."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

TOKEN_FILE = "admin-token"


def ensure_admin_token(configured: str, data_dir: Path) -> tuple[str, Path | None]:
    """(token, the file it lives in, or None when it came from the configuration)."""
    if configured:
        return configured, None
    path = data_dir / TOKEN_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        token = path.read_text().strip()
        if len(token) >= 16:
            return token, path
        raise ValueError(f"{path}: holds no usable token (delete it to make a new one)") from None
    token = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    return token, path
