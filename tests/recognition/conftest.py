"""The web fixtures (throwaway media, fresh rate limits, personas), shared with tests/web."""

from __future__ import annotations

from tests.web.conftest import fresh_rate_limits, media, outsider, owner, owner_client, teammate

__all__ = ["fresh_rate_limits", "media", "outsider", "owner", "owner_client", "teammate"]
