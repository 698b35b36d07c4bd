"""`museion` run from a source checkout finds the built-in models beside it, as `make` does."""

from __future__ import annotations

from pathlib import Path

import pytest

import museion.config
from museion.cli import use_checkout_mirror


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "museion"
    root.mkdir()
    monkeypatch.setattr(museion.config, "checkout_root", lambda: root)
    monkeypatch.delenv("MUSEION_MODEL_MIRROR", raising=False)
    return root


def test_a_checkout_with_shared_models_beside_it_uses_them(checkout: Path) -> None:
    models = checkout.parent / "shared" / "models"
    models.mkdir(parents=True)
    use_checkout_mirror()
    assert museion.config.settings().model_mirrors == (models.resolve(),)


def test_the_operators_mirror_setting_is_kept_even_empty(
    checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (checkout.parent / "shared" / "models").mkdir(parents=True)
    monkeypatch.setenv("MUSEION_MODEL_MIRROR", "")
    use_checkout_mirror()
    assert museion.config.settings().model_mirrors == ()


def test_a_checkout_without_shared_models_sets_no_mirror(checkout: Path) -> None:
    use_checkout_mirror()
    assert museion.config.settings().model_mirrors == ()


def test_an_installed_package_sets_no_mirror(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(museion.config, "checkout_root", lambda: None)
    monkeypatch.delenv("MUSEION_MODEL_MIRROR", raising=False)
    use_checkout_mirror()
    assert museion.config.settings().model_mirrors == ()
