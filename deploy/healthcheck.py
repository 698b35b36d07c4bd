"""The container's health check: GET /api/v1/health on the local `museion serve`, exit 0 if it answers 200.

Django refuses (400) a Host that ALLOWED_HOSTS does not list, and production lists only the public
name, so the request names that host rather than 127.0.0.1. Standard library only: it runs often.
"""

from __future__ import annotations

import os
import sys
import urllib.request

URL = "http://127.0.0.1:8000/api/v1/health"


def host_header(allowed_hosts: str) -> str:
    """A Host that the first ALLOWED_HOSTS entry accepts: `.example.org` takes example.org, `*` any."""
    first = next((h.strip() for h in allowed_hosts.split(",") if h.strip()), "localhost")
    first = first.lstrip(".")
    return "localhost" if first in ("", "*") else first


def main() -> int:
    request = urllib.request.Request(URL, headers={"Host": host_header(os.environ.get("ALLOWED_HOSTS", ""))})
    try:
        with urllib.request.urlopen(request, timeout=4) as response:
            return 0 if response.status == 200 else 1
    except OSError as exc:  # refused, timed out, or an HTTP error status
        print(f"museion health check: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
