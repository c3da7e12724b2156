"""Production settings refuse to start without secrets, and pass `check --deploy` with them."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "x" * 20 + "-production-secret-for-tests-" + "y" * 20


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE"}}
    clean.update(env, DJANGO_SETTINGS_MODULE="coordination.settings.production")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_production__refuses_without_secret_key():
    result = _run("check", ALLOWED_HOSTS="portal.example.org")
    assert result.returncode != 0
    assert "Production needs SECRET_KEY" in result.stderr


def test_production__refuses_the_development_key():
    result = _run(
        "check",
        SECRET_KEY="dev-only-insecure-key-never-use-in-production" + "z" * 10,
        ALLOWED_HOSTS="portal.example.org",
    )
    assert result.returncode != 0
    assert "Production needs SECRET_KEY" in result.stderr


def test_production__refuses_without_allowed_hosts():
    result = _run("check", SECRET_KEY=GOOD_SECRET)
    assert result.returncode != 0
    assert "Production needs ALLOWED_HOSTS" in result.stderr


def test_production__check_deploy_is_clean():
    result = _run(
        "check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=GOOD_SECRET, ALLOWED_HOSTS="portal.example.org"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production__seed_demo_refuses_and_writes_nothing():
    result = _run(
        "seed_demo",
        SECRET_KEY=GOOD_SECRET,
        ALLOWED_HOSTS="portal.example.org",
        DATABASE_URL="sqlite:////nonexistent-dir/never-created.sqlite3",
    )
    assert result.returncode != 0
    assert "Demo data is disabled" in result.stderr
