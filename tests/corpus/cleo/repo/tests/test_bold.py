from cleo import bold


def test_bold():
    assert bold("x") == "<b>x</b>"
