"""Who may call the simulator: Kore.ai's JWT checks (JTI mode included) and loopback checks.

Kore.ai refuses a token with "error verifying the jwt: <reason>"; the simulator gives the same
reasons, so the client's handling of each refusal can be tested without Kore.ai.
"""

from __future__ import annotations

import math
import threading
import time
from typing import TYPE_CHECKING

import jwt
from jwt.algorithms import HMACAlgorithm

if TYPE_CHECKING:
    from pipelines.simulator.config import SimulatorConfig

__all__ = ["JwtError", "JwtVerifier"]

_JTI_MAX_LIFETIME_S = 3600
_JWT_LEEWAY_S = 30


class _QuietHmac(HMACAlgorithm):
    """HMAC without PyJWT's short-key advisory: Kore.ai accepts the secret it issued, and the
    warning would otherwise fire on every request the simulator verifies."""

    def check_key_length(self, key: bytes) -> str | None:
        return None


_JWT_ALGORITHMS = {"HS256": HMACAlgorithm.SHA256, "HS512": HMACAlgorithm.SHA512}
_SIGNATURES = jwt.PyJWS(algorithms=list(_JWT_ALGORITHMS))
for _name, _hash in _JWT_ALGORITHMS.items():
    _SIGNATURES.unregister_algorithm(_name)
    _SIGNATURES.register_algorithm(_name, _QuietHmac(_hash))


def _finite_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and abs(value) < 1e12


class JwtError(Exception):
    """A token Kore.ai would refuse with 'error verifying the jwt: <reason>'."""


class JwtVerifier:
    """Verifies the ``auth`` header as Kore.ai does, JTI replay protection included.

    The settings are read from the live config on every call; with ``enforce_jti`` each
    ``jti`` is remembered until its token expires (plus the leeway), so a replay is refused.
    """

    def __init__(self, config: SimulatorConfig):
        self._config = config
        self._lock = threading.Lock()  # guards the seen JTIs; handler threads share them
        self._seen_jti: dict[str, float] = {}

    def verify(self, token: str) -> None:
        """Check the token as Kore.ai does; raises JwtError with the reason Kore.ai reports."""
        config = self._config
        require = ["appId"] + (["jti", "iat", "exp"] if config.enforce_jti else [])
        try:
            _SIGNATURES.decode(token, config.client_secret, algorithms=list(_JWT_ALGORITHMS))
            claims = jwt.decode(
                token,
                options={
                    "verify_signature": False,  # checked just above, without the key warning
                    "verify_exp": True,
                    "verify_nbf": True,
                    "verify_iat": True,
                    "require": require,
                },
                leeway=_JWT_LEEWAY_S,
            )
        except jwt.ExpiredSignatureError:
            raise JwtError("jwt expired") from None
        except jwt.ImmatureSignatureError:
            raise JwtError("jwt not active") from None
        except jwt.InvalidSignatureError:
            raise JwtError("invalid signature") from None
        except jwt.InvalidAlgorithmError:
            raise JwtError("invalid algorithm") from None
        except jwt.MissingRequiredClaimError as exc:
            raise JwtError(f"{exc.claim} is required") from None
        except jwt.DecodeError:
            raise JwtError("jwt malformed") from None
        except jwt.InvalidTokenError as exc:
            raise JwtError(type(exc).__name__) from None
        if claims.get("appId") != config.client_id:
            raise JwtError("invalid appId")
        if not config.enforce_jti:
            return
        iat, exp, jti = claims["iat"], claims["exp"], claims["jti"]
        # PyJWT takes any int()-able value ("1e3" fails, "123" passes); the arithmetic below
        # needs real numbers, and a malformed one is the client's fault: 401, never 500.
        for name, value in (("iat", iat), ("exp", exp)):
            if not _finite_number(value):
                raise JwtError(f"{name} must be a number of seconds")
        if not isinstance(jti, str) or not jti:
            raise JwtError("jti must be a non-empty string")
        if exp - iat > _JTI_MAX_LIFETIME_S:
            raise JwtError("exp must be at most 1 hour after iat")
        now = time.time()
        with self._lock:
            if len(self._seen_jti) > 10_000:
                self._seen_jti = {k: v for k, v in self._seen_jti.items() if v > now}
            if jti in self._seen_jti:
                raise JwtError("jti already used, possibly a replay")
            self._seen_jti[jti] = float(exp) + _JWT_LEEWAY_S
