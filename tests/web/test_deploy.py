"""deploy/: the production settings it documents pass Django's deployment checks, and its files
name only settings and commands that exist."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from django.test import Client, override_settings

from museion.cli import cli

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
EXAMPLE = DEPLOY / "museion.env.example"
# Read by docker compose or nginx, not by Museion; AWS_* are boto3's own.
NOT_MUSEIONS = {"MUSEION_DOMAIN", "POSTGRES_PASSWORD", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


def documented(path: Path = EXAMPLE, *, commented: bool = False) -> dict[str, str]:
    """KEY=VALUE lines of an env file; with `commented`, the commented-out ones too."""
    found = {}
    for line in path.read_text().splitlines():
        line = line.removeprefix("# ") if commented else line
        if re.fullmatch(r"[A-Z][A-Z0-9_]*=.*", line):
            key, _, value = line.partition("=")
            found[key] = value
    return found


def django_check(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MUSEION_") and k != "DATABASE_URL"}
    clean.update(env, MUSEION_HOME=str(tmp_path), DJANGO_SETTINGS_MODULE="museion.web.settings")
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=clean, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def production_env() -> dict[str, str]:
    env = {k: v for k, v in documented().items() if k not in NOT_MUSEIONS}
    env["MUSEION_SECRET_KEY"] = "k3Y-" + "x7Qp9vL2" * 8  # what an operator generates, not the placeholder
    env.pop("MUSEION_MODEL_MIRROR")  # a folder of that server
    return env


def test_check_deploy_passes_with_the_documented_production_settings(tmp_path: Path) -> None:
    done = django_check(tmp_path, production_env())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_check_deploy_flags_a_server_left_on_plain_http(tmp_path: Path) -> None:
    env = production_env()
    env.pop("MUSEION_HTTPS")
    done = django_check(tmp_path, env)
    assert done.returncode != 0
    assert "SECURE_SSL_REDIRECT" in done.stdout + done.stderr


def test_every_documented_variable_is_one_museion_reads() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "src" / "museion").rglob("*.py"))
    for key in set(documented(commented=True)) - NOT_MUSEIONS:
        assert f'"{key}"' in source, f"{key} is documented in {EXAMPLE.name} but never read"


def test_every_museion_setting_is_in_the_readme() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "src" / "museion").rglob("*.py"))
    readme = (ROOT / "README.md").read_text()
    for key in set(re.findall(r'"(MUSEION_[A-Z0-9_]+)"', source)):
        assert f"`{key}`" in readme, f"{key} is read by Museion but missing from the README"


def test_the_deploy_files_run_museion_commands_that_exist() -> None:
    texts = [p.read_text() for p in DEPLOY.rglob("*") if p.is_file()]
    commands = {m for text in texts for m in re.findall(r"museion (serve|worker|models \w+)", text)}
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    commands |= {
        " ".join(s["command"][1:2]) for s in compose["services"].values() if "museion" in s.get("command", [])
    }
    assert {"serve", "worker"} <= commands
    for command in commands:
        result = CliRunner().invoke(cli, [*command.split(), "--help"])
        assert result.exit_code == 0, (command, result.output)


def test_compose_runs_web_worker_database_broker_and_nginx() -> None:
    services = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())["services"]
    assert set(services) == {"web", "worker", "postgres", "redis", "nginx"}
    assert services["worker"]["command"][:2] == ["museion", "worker"]
    assert (
        services["nginx"]["networks"]["museion"]["ipv4_address"]
        in services["web"]["environment"]["MUSEION_TRUSTED_PROXIES"]
    )


@pytest.fixture
def https_settings(tmp_path: Path) -> dict:
    """The security settings MUSEION_HTTPS=1 gives, read from a fresh interpreter."""
    code = (
        "import json; from museion.web import settings as s; print(json.dumps({k: getattr(s, k) for k in "
        "('SECURE_PROXY_SSL_HEADER', 'SECURE_SSL_REDIRECT', 'SECURE_REDIRECT_EXEMPT', "
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS')}))"
    )
    env = {**os.environ, "MUSEION_HOME": str(tmp_path), "MUSEION_HTTPS": "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    import json

    found = json.loads(done.stdout)
    found["SECURE_PROXY_SSL_HEADER"] = tuple(found["SECURE_PROXY_SSL_HEADER"])
    return found


def test_behind_tls_pages_redirect_to_https_but_the_health_check_does_not(https_settings: dict, db) -> None:
    assert https_settings["SESSION_COOKIE_SECURE"]
    assert https_settings["CSRF_COOKIE_SECURE"]
    assert https_settings["SECURE_HSTS_SECONDS"] >= 31_536_000
    with override_settings(**https_settings):
        client = Client()
        page = client.get("/", HTTP_HOST="localhost")
        assert (page.status_code, page["Location"]) == (301, "https://localhost/")
        assert client.get("/api/v1/health", HTTP_HOST="localhost").status_code == 200
        proxied = client.get("/", HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https")
        assert proxied.status_code == 200
        assert "max-age=31536000" in proxied["Strict-Transport-Security"]


def test_a_local_server_stays_on_plain_http(settings) -> None:
    assert settings.SECURE_SSL_REDIRECT is False
    assert settings.SESSION_COOKIE_SECURE is False
