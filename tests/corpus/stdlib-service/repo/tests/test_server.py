from server import body


def test_health():
    assert body("/healthz") == b"ok"
