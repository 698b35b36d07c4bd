"""deploy/: the production settings it documents pass Django's deployment checks, and its files
name only settings and commands that exist."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import click
import pytest
import yaml
from click.testing import CliRunner
from django.test import Client, override_settings

from museion.cli import cli
from museion.cli.serve import GRACEFUL_TIMEOUT_S
from museion.web.middleware import MULTIPART_OVERHEAD

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
EXAMPLE = DEPLOY / "museion.env.example"
COMPOSE = DEPLOY / "docker-compose.yml"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
# Read by docker compose or nginx, not by Museion; AWS_* are boto3's own.
NOT_MUSEIONS = {"MUSEION_DOMAIN", "POSTGRES_PASSWORD", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
# What a production server cannot do without: set, not left commented, in the example.
REQUIRED = {"ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "MUSEION_SECRET_KEY", "MUSEION_HTTPS", "MUSEION_HOME",
            "DATABASE_URL", "CELERY_BROKER_URL", "MUSEION_TRUSTED_PROXIES"}  # fmt: skip
SECURITY = ("SECURE_PROXY_SSL_HEADER", "SECURE_SSL_REDIRECT", "SECURE_REDIRECT_EXEMPT",
            "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS",
            "USE_X_FORWARDED_HOST")  # fmt: skip


def documented(path: Path = EXAMPLE, *, commented: bool = False) -> dict[str, str]:
    """KEY=VALUE lines of an env file; with `commented`, the commented-out ones too."""
    found = {}
    for line in path.read_text().splitlines():
        line = line.removeprefix("# ") if commented else line
        if re.fullmatch(r"[A-Z][A-Z0-9_]*=.*", line):
            key, _, value = line.partition("=")
            found[key] = value
    return found


def variables_museion_reads() -> set[str]:
    """Every environment variable the code reads through config's helpers or os.environ/env.get."""
    source = "\n".join(p.read_text() for p in (ROOT / "src" / "museion").rglob("*.py"))
    helpers = re.findall(r'\benv_[a-z]+\(\s*"([A-Z][A-Z0-9_]+)"', source)
    return {*helpers, *re.findall(r'\.get\(\s*"(MUSEION_[A-Z0-9_]+)"', source)}


def clean_env(tmp_path: Path, **env: str) -> dict[str, str]:
    """This environment without the developer's Museion settings, plus `env`."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith("MUSEION_")}
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS"):
        kept.pop(name, None)
    return {**kept, **env, "MUSEION_HOME": str(tmp_path), "DJANGO_SETTINGS_MODULE": "museion.web.settings"}


def django_check(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=clean_env(tmp_path, **env), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def settings_of(tmp_path: Path, **env: str) -> dict:
    """The security settings a fresh interpreter gets from `env` (settings are read at import)."""
    code = (
        "import json; from django.conf import settings as s; "
        f"print(json.dumps({{k: getattr(s, k) for k in {SECURITY!r}}}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=clean_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    found["SECURE_PROXY_SSL_HEADER"] = found["SECURE_PROXY_SSL_HEADER"] and tuple(
        found["SECURE_PROXY_SSL_HEADER"]
    )
    return found


def production_env() -> dict[str, str]:
    env = {k: v for k, v in documented().items() if k not in NOT_MUSEIONS}
    env["MUSEION_SECRET_KEY"] = "k3Y-" + "x7Qp9vL2" * 8  # what an operator generates, not the placeholder
    env.pop("MUSEION_MODEL_MIRROR")  # a folder of that server
    env.pop("MUSEION_HOME")  # replaced by a temporary one
    return env


def parse_as_museion(argv: list[str]) -> None:
    """Parse a command line as the `museion` CLI would, without running it: a bad option raises."""
    command: click.Command = cli
    args = list(argv[1:])
    while isinstance(command, click.Group):
        name, *args = args
        assert name in command.commands, f"{argv}: no command {name!r}"
        command = command.commands[name]
    command.make_context(" ".join(argv[:2]), args)


def unit(path: Path) -> dict[str, str]:
    """A systemd unit's Key=value lines (the last one of each key)."""
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if re.match(r"[A-Za-z]+=", line))


def load_healthcheck() -> ModuleType:
    spec = importlib.util.spec_from_file_location("museion_healthcheck", DEPLOY / "healthcheck.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- Django's deployment checks ----------------------------------------------------------------


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


# --- MUSEION_HTTPS ------------------------------------------------------------------------------


def test_a_local_server_stays_on_plain_http(tmp_path: Path) -> None:
    found = settings_of(tmp_path)
    assert found["SECURE_SSL_REDIRECT"] is False
    assert found["SESSION_COOKIE_SECURE"] is False
    assert found["CSRF_COOKIE_SECURE"] is False
    assert found["SECURE_PROXY_SSL_HEADER"] is None
    assert found["SECURE_HSTS_SECONDS"] == 0
    assert found["USE_X_FORWARDED_HOST"] is False


def test_x_forwarded_host_is_trusted_only_when_asked(tmp_path: Path) -> None:
    assert settings_of(tmp_path, MUSEION_HTTPS="1")["USE_X_FORWARDED_HOST"] is False
    assert settings_of(tmp_path, MUSEION_USE_X_FORWARDED_HOST="1")["USE_X_FORWARDED_HOST"] is True


def test_behind_tls_pages_redirect_to_https_but_the_health_check_does_not(tmp_path: Path, db) -> None:
    https = settings_of(tmp_path, MUSEION_HTTPS="1")
    assert https["SESSION_COOKIE_SECURE"]
    assert https["CSRF_COOKIE_SECURE"]
    assert https["SECURE_HSTS_SECONDS"] >= 31_536_000
    with override_settings(**https):
        client = Client()
        page = client.get("/", HTTP_HOST="localhost")
        assert (page.status_code, page["Location"]) == (301, "https://localhost/")
        assert client.get("/api/v1/health", HTTP_HOST="localhost").status_code == 200
        proxied = client.get("/", HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https")
        assert proxied.status_code == 200
        assert "max-age=31536000" in proxied["Strict-Transport-Security"]


def test_hsts_can_be_shortened_and_kept_off_subdomains(tmp_path: Path) -> None:
    code = "from django.conf import settings as s; "
    code += "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS)"
    env = clean_env(
        tmp_path, MUSEION_HTTPS="1", MUSEION_HSTS_SECONDS="300", MUSEION_HSTS_INCLUDE_SUBDOMAINS="0"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["300", "False"], done.stderr


def test_the_container_health_check_asks_with_a_host_production_allows(tmp_path: Path, db) -> None:
    healthcheck = load_healthcheck()
    allowed = documented()["ALLOWED_HOSTS"]
    with override_settings(**settings_of(tmp_path, MUSEION_HTTPS="1"), ALLOWED_HOSTS=allowed.split(",")):
        client = Client(raise_request_exception=False)
        assert client.get("/api/v1/health", HTTP_HOST="127.0.0.1:8000").status_code == 400  # why it must
        assert client.get("/api/v1/health", HTTP_HOST=healthcheck.host_header(allowed)).status_code == 200


@pytest.mark.parametrize(
    ("allowed", "host"),
    [("museum.example.org", "museum.example.org"), (" a.org , b.org", "a.org"),
     (".example.org", "example.org"), ("*", "localhost"), ("", "localhost")],
)  # fmt: skip
def test_the_health_check_host_matches_the_first_allowed_host(allowed: str, host: str) -> None:
    assert load_healthcheck().host_header(allowed) == host


# --- The documented variables -------------------------------------------------------------------


def test_every_documented_variable_is_one_museion_reads() -> None:
    read = variables_museion_reads()
    for key in set(documented(commented=True)) - NOT_MUSEIONS:
        assert key in read, f"{key} is documented in {EXAMPLE.name} but never read"


def test_the_env_example_documents_every_variable_museion_reads() -> None:
    missing = variables_museion_reads() - set(documented(commented=True))
    assert not missing, f"read by Museion, missing from {EXAMPLE.name}: {sorted(missing)}"


def test_the_env_example_sets_what_production_needs() -> None:
    example = documented()
    assert set(example) >= REQUIRED, sorted(REQUIRED - set(example))
    assert example["MUSEION_HTTPS"] == "1"
    assert example["CSRF_TRUSTED_ORIGINS"].startswith("https://")


def test_every_museion_setting_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for key in variables_museion_reads():
        if key.startswith("MUSEION_"):
            assert f"`{key}`" in readme, f"{key} is read by Museion but missing from the README"


# --- docker compose, the Dockerfile, nginx, systemd ---------------------------------------------


def test_compose_runs_web_worker_database_broker_and_nginx() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    assert set(services) == {"web", "worker", "postgres", "redis", "nginx"}
    assert services["worker"]["command"][:2] == ["museion", "worker"]
    assert (
        services["nginx"]["networks"]["museion"]["ipv4_address"]
        in services["web"]["environment"]["MUSEION_TRUSTED_PROXIES"]
    )


def test_compose_gives_museion_its_services_and_the_documented_settings() -> None:
    text = COMPOSE.read_text()
    services = yaml.safe_load(text)["services"]
    for name in ("web", "worker"):
        service = services[name]
        assert service["env_file"] == "museion.env"  # the copy of the example
        env = service["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert "@postgres:" in env["DATABASE_URL"]
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:")
        # The example's plain-server paths must not reach the container: the volume is /data.
        assert env["MUSEION_HOME"] == "/data"
        assert "media:/data" in service["volumes"]
        assert set(env) <= variables_museion_reads()
    interpolated = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", text))
    assert interpolated <= set(documented()), sorted(interpolated - set(documented()))


def test_the_deploy_files_run_museion_command_lines_that_parse() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    image_cmd = json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.M).group(1))
    compose = yaml.safe_load(COMPOSE.read_text())["services"]
    worker_cmd = compose["worker"]["command"]
    units = {p.stem: shlex.split(unit(p)["ExecStart"]) for p in UNITS}
    assert image_cmd[:2] == ["museion", "serve"]
    assert "--no-worker" in image_cmd
    assert "0.0.0.0" in image_cmd
    assert worker_cmd[:2] == ["museion", "worker"]
    assert units["museion-web"][1:2] == ["serve"]
    assert "--no-worker" in units["museion-web"]
    assert units["museion-worker"][1:2] == ["worker"]
    for argv in (image_cmd, worker_cmd, *units.values()):
        parse_as_museion(["museion", *argv[1:]])


def test_every_museion_command_the_deploy_files_mention_exists() -> None:
    texts = [p.read_text() for p in DEPLOY.rglob("*") if p.is_file()]
    commands = {m for text in texts for m in re.findall(r"museion (serve|worker|models \w+)", text)}
    assert {"serve", "worker", "models pull"} <= commands
    for command in commands:
        result = CliRunner().invoke(cli, [*command.split(), "--help"])
        assert result.exit_code == 0, (command, result.output)


def test_the_health_check_asks_the_port_the_image_serves_on() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    image_cmd = json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.M).group(1))
    port = image_cmd[image_cmd.index("--port") + 1]
    assert f"127.0.0.1:{port}/api/v1/health" in load_healthcheck().URL
    assert "COPY deploy/healthcheck.py" in dockerfile


def test_nginx_lets_through_every_upload_museion_accepts() -> None:
    conf = (DEPLOY / "nginx" / "museion.conf.template").read_text()
    nginx_limit = int(re.search(r"client_max_body_size (\d+)m;", conf).group(1)) * 1024 * 1024
    museion_limit = float(documented()["MUSEION_MAX_UPLOAD_MB"]) * 1_000_000 + MULTIPART_OVERHEAD
    assert nginx_limit > museion_limit  # so Museion answers 413 in the API's own error shape
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf  # what MUSEION_HTTPS trusts
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.stem)
def test_the_systemd_units_stop_gracefully_and_restart_on_failure(path: Path) -> None:
    settings = unit(path)
    assert settings["EnvironmentFile"] == "/etc/museion/museion.env"
    assert settings["User"] not in ("", "root")
    assert settings["Restart"] == "on-failure"
    assert settings["KillSignal"] == "SIGTERM"
    assert int(settings["TimeoutStopSec"]) > GRACEFUL_TIMEOUT_S  # systemd's SIGKILL comes after
    assert settings["ReadWritePaths"] == documented()["MUSEION_HOME"]  # ProtectSystem=strict otherwise
