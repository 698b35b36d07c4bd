"""Django settings from the environment: production values are taken, bad ones stop start-up loudly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def settings_in(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter; print the values the tests look at."""
    code = (
        "import json; from museion.web import settings as s; "
        "print(json.dumps({'cache': s.CACHES['default']['BACKEND'], 'db': s.DATABASES['default']['ENGINE'], "
        "'proxies': sorted(s.TRUSTED_PROXIES), 'stale': s.JOB_STALE_SECONDS, 'queue': s.MAX_QUEUE_SECONDS}))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MUSEION_", "DATABASE_URL"))}
    clean.update(MUSEION_HOME=str(tmp_path), **env)
    return subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=60)


def test_production_settings_are_read_from_the_environment(tmp_path: Path) -> None:
    done = settings_in(
        tmp_path,
        DATABASE_URL="postgres://museion@db.internal:5432/museion",
        MUSEION_CACHE_URL="redis://cache.internal:6379/1",
        MUSEION_TRUSTED_PROXIES="10.0.0.2,10.0.0.3",
        MUSEION_JOB_STALE_SECONDS="300",
        MUSEION_MAX_QUEUE_SECONDS="0.5",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "cache": "django.core.cache.backends.redis.RedisCache",
        "db": "django.db.backends.postgresql",
        "proxies": ["10.0.0.2", "10.0.0.3"],
        "stale": 300,
        "queue": 0.5,
    }


def test_the_embedded_defaults_need_no_setting(tmp_path: Path) -> None:
    done = settings_in(tmp_path)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert (found["cache"], found["db"]) == (
        "django.core.cache.backends.locmem.LocMemCache",
        "django.db.backends.sqlite3",
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MUSEION_CACHE_URL", "memcached://x", "MUSEION_CACHE_URL must be a redis:// URL"),
        ("DATABASE_URL", "oracle-ish://x", "DATABASE_URL is not a database URL Museion knows"),
        ("MUSEION_JOB_STALE_SECONDS", "1", "MUSEION_JOB_STALE_SECONDS must be at least 3"),
        ("MUSEION_MAX_QUEUE_SECONDS", "soon", "MUSEION_MAX_QUEUE_SECONDS must be a number"),
        ("MUSEION_SIGNUP", "members", "MUSEION_SIGNUP must be one of open, closed, invite, got 'members'"),
    ],
)
def test_a_bad_production_setting_stops_start_up_with_its_name(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    done = settings_in(tmp_path, **{name: value})
    assert done.returncode != 0
    assert message in done.stderr
