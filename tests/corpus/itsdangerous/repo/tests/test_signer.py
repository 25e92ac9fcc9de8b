import pytest

from itsdangerous import sign, unsign


def test_round_trip():
    assert unsign(b"k", sign(b"k", b"v")) == b"v"


def test_tampered():
    with pytest.raises(ValueError):
        unsign(b"k", sign(b"k", b"v") + b"x")
