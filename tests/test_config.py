from __future__ import annotations

import os
from pathlib import Path

import pytest

from museion.config import ConfigError, Settings, checkout_root, signup_mode


def test_it_defaults_home_to_var_in_a_checkout() -> None:
    root = checkout_root()
    assert root is not None
    config = Settings.from_env({})
    assert config.home == root / "var"
    assert config.model_dir == root / "var" / "models"
    assert config.model_mirrors == ()
    assert config.threads == (os.cpu_count() or 1)
    assert config.max_image_pixels == 50_000_000


def test_it_reads_every_setting_from_the_environment(tmp_path: Path) -> None:
    config = Settings.from_env(
        {
            "MUSEION_HOME": str(tmp_path / "h"),
            "MUSEION_MODEL_MIRROR": f"{tmp_path / 'a'}{os.pathsep}{tmp_path / 'b'}",
            "MUSEION_THREADS": "3",
            "MUSEION_MAX_IMAGE_PIXELS": "1000",
            "MUSEION_MAX_IMAGE_MB": "2.5",
        }
    )
    assert config.home == tmp_path / "h"
    assert config.model_dir == tmp_path / "h" / "models"
    assert config.model_mirrors == (tmp_path / "a", tmp_path / "b")
    assert config.threads == 3
    assert config.max_image_pixels == 1000
    assert config.max_image_bytes == 2_500_000


def test_model_dir_may_live_apart_from_home(tmp_path: Path) -> None:
    config = Settings.from_env({"MUSEION_HOME": str(tmp_path), "MUSEION_MODEL_DIR": str(tmp_path / "m")})
    assert config.model_dir == tmp_path / "m"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MUSEION_THREADS", "many", "MUSEION_THREADS must be a whole number, got 'many'"),
        ("MUSEION_THREADS", "0", "MUSEION_THREADS must be at least 1, got 0"),
        ("MUSEION_MAX_IMAGE_MB", "lots", "MUSEION_MAX_IMAGE_MB must be a number"),
        ("MUSEION_MAX_IMAGE_PIXELS", "-5", "MUSEION_MAX_IMAGE_PIXELS must be at least 1"),
    ],
)
def test_it_fails_loudly_on_a_bad_value(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({name: value})


@pytest.mark.parametrize(("raw", "mode"), [("", "open"), ("closed", "closed"), (" Invite ", "invite")])
def test_signup_mode_is_open_unless_set(raw: str, mode: str) -> None:
    assert signup_mode({"MUSEION_SIGNUP": raw}) == mode


def test_an_unknown_signup_mode_is_refused_loudly() -> None:
    with pytest.raises(ConfigError, match="MUSEION_SIGNUP must be one of open, closed, invite"):
        signup_mode({"MUSEION_SIGNUP": "invitation"})
