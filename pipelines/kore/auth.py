"""The ``auth`` JWT Kore.ai expects on every request, minted from the app's client secret."""

from __future__ import annotations

import time
import uuid
import warnings
from collections import deque
from collections.abc import Callable
from typing import Any

import jwt

from pipelines.kore.config import KoreSettings

__all__ = ["TokenMinter"]


class TokenMinter:
    """Mints the ``auth`` JWT the way Kore.ai documents it.

    Without JTI enforcement Kore's own samples carry only ``appId`` (no iat/exp), so one token is
    minted and reused. With JTI enforcement every request needs a fresh ``jti`` and an ``exp`` at
    most an hour after ``iat``, so each call mints a new token. The last tokens minted are kept
    (bounded) so the client can scrub them from anything it records.
    """

    def __init__(self, settings: KoreSettings, clock: Callable[[], float] = time.time):
        self._settings = settings
        self._clock = clock
        self._cached: str | None = None
        self.minted: deque[str] = deque(maxlen=256)

    def _encode(self, payload: dict[str, Any]) -> str:
        with warnings.catch_warnings():
            # Kore issues the secret; its length is not ours to choose, so the short-key warning
            # would only be noise in every tick's log.
            category = getattr(jwt, "InsecureKeyLengthWarning", None)
            if category is not None:
                warnings.simplefilter("ignore", category)
            token = jwt.encode(
                payload, self._settings.client_secret, algorithm=self._settings.algorithm
            )
        self.minted.append(token)
        return token

    def token(self) -> str:
        """A token for the next request (fresh in JTI mode, cached otherwise)."""
        settings = self._settings
        if not settings.jti_mode:
            if self._cached is None:
                self._cached = self._encode({"appId": settings.client_id})
            return self._cached
        now = int(self._clock())
        return self._encode(
            {
                "appId": settings.client_id,
                "jti": uuid.uuid4().hex,
                "iat": now,
                "exp": now + settings.token_ttl_s,
            }
        )
