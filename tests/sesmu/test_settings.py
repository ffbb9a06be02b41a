"""Settings fail loudly on missing or malformed values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_settings(**env) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items()
             if key not in {"DEBUG", "SESMU_TESTING", "SECRET_KEY", "DATABASE_URL", "REDIS_URL"}}
    clean.update(env)
    return subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", "import sesmu.settings as s; print(s.CELERY_TASK_ALWAYS_EAGER, "
         "s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'])"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60,
    )


def test_it_requires_a_secret_key_when_debug_is_off():
    result = run_settings(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_it_refuses_a_malformed_boolean():
    result = run_settings(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_it_refuses_a_malformed_redis_url():
    result = run_settings(DEBUG="true", REDIS_URL="http://localhost")
    assert result.returncode != 0
    assert "REDIS_URL must start with" in result.stderr


def test_it_runs_embedded_without_database_or_redis():
    result = run_settings(DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True", "django.db.backends.sqlite3", "django.core.cache.backends.locmem.LocMemCache",
    ]


@pytest.mark.parametrize("url", ["postgres://postgres@127.0.0.1:5432/sesmu"])
def test_it_uses_postgres_and_redis_when_given(url):
    result = run_settings(DEBUG="true", DATABASE_URL=url, REDIS_URL="redis://127.0.0.1:6379/0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False", "django.db.backends.postgresql", "django.core.cache.backends.redis.RedisCache",
    ]
