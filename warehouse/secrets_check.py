"""Refuse to start a deployment whose secrets are placeholders: `python -m warehouse.secrets_check`.

docker-compose.yml runs it first (service `secrets-check`); the databases and
Redis wait for it to succeed, and every Airflow component waits for them, so a
`.env` copied from `.env.example` and never edited starts nothing. It reads
its own environment: every variable whose name ends in PASSWORD, SECRET, KEY
or TOKEN (`ingest.core.config.SECRET_SETTING`) must be

- set, and not a placeholder (`change-me` and the like, a word any guide prints);
- at least 16 characters, of letters, digits, `-`, `_` and `.` only (the
  passwords go into connection URLs unescaped);
- different from every other secret (one leaked password opens one door);
- for `AIRFLOW__CORE__FERNET_KEY`, a Fernet key (32 bytes, URL-safe base64).

Exit 0 and one line when every secret passes; exit 1 naming each variable
that does not (never its value).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import sys
from collections.abc import Mapping

from ingest.core.config import SECRET_SETTING, dsn_passwords

MIN_LENGTH = 16
ALLOWED = re.compile(r"[A-Za-z0-9._-]+")
PLACEHOLDERS = {"change-me", "changeme", "change_me", "password", "secret", "admin", "airflow", "postgres", "example",
                "test", "default", "letmein", "none", "null", "xxx", "todo", "fixme"}


def problems(environ: Mapping[str, str]) -> list[str]:
    """One line per secret variable of `environ` that must not start a deployment (names, never values)."""
    found = []
    secrets = {name: value for name, value in environ.items() if SECRET_SETTING.search(name)}
    if not secrets:
        return ["no secret variable (…PASSWORD, …SECRET, …KEY, …TOKEN) is set: nothing to check"]
    seen: dict[str, str] = {}
    for name, value in sorted(secrets.items()):
        value = value or ""
        before = len(found)
        if not value:
            found.append(f"{name} is empty")
        elif is_placeholder(value):
            found.append(f"{name} is still a placeholder: replace it (see .env.example)")
        elif name == "AIRFLOW__CORE__FERNET_KEY":
            if not _is_fernet_key(value):
                found.append(f"{name} is not a Fernet key (32 bytes, URL-safe base64; generate one as .env.example says)")
        elif len(value) < MIN_LENGTH:
            found.append(f"{name} has {len(value)} characters, fewer than {MIN_LENGTH}")
        elif not ALLOWED.fullmatch(value):
            found.append(f"{name} holds a character other than letters, digits, '-', '_' and '.' "
                         "(it goes into a connection URL unescaped)")
        if value and value in seen and len(found) == before:
            found.append(f"{name} is the same as {seen[value]}: give each its own")
        seen.setdefault(value, name)
    return found


def is_placeholder(value: str) -> bool:
    """`change-me` and the like: a word any guide prints, never a secret."""
    lowered = value.strip().lower()
    return lowered in PLACEHOLDERS or "change" in lowered and "me" in lowered


def deployment_placeholders(environ: Mapping[str, str]) -> list[str]:
    """The Airflow and mapwh secrets a deployment outside containers set to a placeholder (`mapwh setup` refuses
    them): names, never values. Only placeholders: such a deployment's secrets are its own business otherwise."""
    found = []
    for name, value in sorted(environ.items()):
        if not name.startswith(("AIRFLOW__", "MAPWH_")) or not value:
            continue
        if SECRET_SETTING.search(name) and is_placeholder(value):
            found.append(f"{name} is still a placeholder: replace it")
        elif any(is_placeholder(password) for password in dsn_passwords(value)):
            found.append(f"{name} holds a placeholder password: replace it")
    return found


def _is_fernet_key(value: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(value.encode())) == 32 and len(value) == 44
    except (binascii.Error, ValueError):
        return False


def main(environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    found = problems(environ)
    if found:
        print("refusing to start: " + "; ".join(found), file=sys.stderr)
        return 1
    print(f"secrets check: {sum(bool(SECRET_SETTING.search(n)) for n in environ)} secrets set, none a placeholder")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
