from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "museion.accounts"
    label = "accounts"
