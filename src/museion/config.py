"""Settings read from the environment, in one place.

Every value is read when asked for, so a test or a long-running process that
changes the environment sees the change. A malformed value raises
`ConfigError` naming the variable, instead of falling back silently.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import platformdirs


class ConfigError(ValueError):
    """An environment variable holds a value Museion cannot use."""


def env_int(name: str, default: int, *, minimum: int = 1, env: Mapping[str, str] | None = None) -> int:
    raw = (os.environ if env is None else env).get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def env_float(
    name: str, default: float, *, minimum: float = 0.0, env: Mapping[str, str] | None = None
) -> float:
    raw = (os.environ if env is None else env).get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def env_bool(name: str, default: bool, *, env: Mapping[str, str] | None = None) -> bool:
    raw = (os.environ if env is None else env).get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1/true/yes/on or 0/false/no/off, got {raw!r}")


def env_list(name: str, default: list[str], *, env: Mapping[str, str] | None = None) -> list[str]:
    raw = (os.environ if env is None else env).get(name)
    if raw is None or not raw.strip():
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_str(name: str, default: str, *, env: Mapping[str, str] | None = None) -> str:
    raw = (os.environ if env is None else env).get(name, "").strip()
    return raw or default


def env_choice(
    name: str, default: str, choices: tuple[str, ...], *, env: Mapping[str, str] | None = None
) -> str:
    raw = env_str(name, default, env=env).lower()
    if raw not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


# Who may create an account: anyone, nobody (operators create them: `museion users create`),
# or only someone holding a workspace invitation link.
SIGNUP_MODES = ("open", "closed", "invite")


def signup_mode(env: Mapping[str, str] | None = None) -> str:
    return env_choice("MUSEION_SIGNUP", "open", SIGNUP_MODES, env=env)


def env_rate(name: str, default: str, *, env: Mapping[str, str] | None = None) -> tuple[int, int]:
    """A rate such as `60/minute`: (requests, seconds). `0` turns the limit off."""
    raw = env_str(name, default, env=env).lower()
    if raw in ("0", "off", "none"):
        return (0, 60)
    periods = {"s": 1, "second": 1, "m": 60, "minute": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}
    count, _, period = raw.partition("/")
    if not count.isdigit() or period not in periods:
        raise ConfigError(f"{name} must look like 60/minute (or s, m, h, d), got {raw!r}")
    return (int(count), periods[period])


def env_path(name: str, default: Path, *, env: Mapping[str, str] | None = None) -> Path:
    raw = (os.environ if env is None else env).get(name, "").strip()
    return Path(raw).expanduser().resolve() if raw else default


@cache
def checkout_root() -> Path | None:
    """The source checkout this package runs from, if it runs from one."""
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "src" / "museion").is_dir():
        return root
    return None


def checkout_mirror() -> Path | None:
    """The built-in models' folder beside a source checkout (`../shared/models`), if there is one."""
    root = checkout_root()
    folder = root.parent / "shared" / "models" if root is not None else None
    return folder if folder is not None and folder.is_dir() else None


def default_home() -> Path:
    root = checkout_root()
    if root is not None:
        return root / "var"
    return Path(platformdirs.user_data_dir("museion", appauthor=False))


@dataclass(frozen=True)
class Settings:
    home: Path
    model_dir: Path
    model_mirrors: tuple[Path, ...]
    threads: int
    max_image_pixels: int
    max_image_bytes: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        home = env_path("MUSEION_HOME", default_home(), env=env)
        mirrors = tuple(
            Path(part).expanduser().resolve()
            for part in env.get("MUSEION_MODEL_MIRROR", "").split(os.pathsep)
            if part.strip()
        )
        return cls(
            home=home,
            model_dir=env_path("MUSEION_MODEL_DIR", home / "models", env=env),
            model_mirrors=mirrors,
            threads=env_int("MUSEION_THREADS", os.cpu_count() or 1, env=env),
            max_image_pixels=env_int("MUSEION_MAX_IMAGE_PIXELS", 50_000_000, env=env),
            max_image_bytes=int(env_float("MUSEION_MAX_IMAGE_MB", 50.0, minimum=0.001, env=env) * 1e6),
        )


def settings() -> Settings:
    """The settings of the environment as it is now (a test may have changed it)."""
    read = (k for k in os.environ if k.startswith("MUSEION_") or k in ("HOME", "XDG_DATA_HOME"))
    return _settings_for(tuple(sorted((k, os.environ[k]) for k in read)))


@lru_cache(maxsize=8)
def _settings_for(env: tuple[tuple[str, str], ...]) -> Settings:
    # Parsing (paths resolved, numbers checked) costs about 0.3 ms, several times per request;
    # the same environment always gives the same settings.
    return Settings.from_env(dict(env))
