# Reproduces the shape of anxolerd/dvpwa sqli/app.py (aiohttp): the Jinja2 setup with
# autoescaping off, which makes every stored course title and review an XSS.
from aiohttp.web import Application
from aiohttp_jinja2 import setup as setup_jinja
from jinja2.loaders import PackageLoader


def init():
    app = Application(debug=True)
    setup_jinja(app, loader=PackageLoader("sqli", "templates"), autoescape=False)  # vuln: dvpwa-xss-autoescape
    return app
