"""Sign a value so it comes back unchanged."""

import hashlib
import hmac

__version__ = "2.2.0"


def sign(key: bytes, value: bytes) -> bytes:
    return value + b"." + hmac.new(key, value, hashlib.sha256).hexdigest().encode()


def unsign(key: bytes, signed: bytes) -> bytes:
    value, _, mac = signed.rpartition(b".")
    if not hmac.compare_digest(sign(key, value), signed):
        raise ValueError("bad signature")
    return value
