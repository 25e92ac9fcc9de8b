import unittest

from app import app


class IndexCase(unittest.TestCase):
    def test_index(self):
        self.assertEqual(app.test_client().get("/").data, b"hello")


if __name__ == "__main__":
    unittest.main(verbosity=2)
