import socket

import pytest


def test_guard_refuses_a_non_loopback_address():
    s = socket.socket()
    s.settimeout(0.2)
    with pytest.raises(pytest.fail.Exception, match="127.0.0.1 only"):
        s.connect(("192.0.2.1", 80))
    s.close()


def test_guard_lets_loopback_through():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.create_connection(server.getsockname(), timeout=1)
    client.close()
    server.close()
