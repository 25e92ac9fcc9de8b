from httpbin import status


def test_status():
    assert status(418) == "HTTP 418"
