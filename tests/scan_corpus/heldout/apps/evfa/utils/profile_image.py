"""Shape of utils/profile_image.py in manuelz120/extremely-vulnerable-flask-app
(self-written): the URL comes from a form field in routes/account.py."""

from base64 import b64encode
from mimetypes import guess_type
from urllib.request import urlopen


def download(url: str) -> bytes:
    with urlopen(url) as response:
        return response.read()


def get_base64_image_blob(url: str) -> str:
    mimetype = guess_type(url)[0] or "image/png"
    return f"data:{mimetype};base64,{b64encode(download(url)).decode('ascii')}"
