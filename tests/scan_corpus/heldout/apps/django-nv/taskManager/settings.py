"""Shape of taskManager/settings.py in NetSPI/django.nV (self-written; the key is not theirs)."""

import os

BASE_DIR = os.path.dirname(os.path.dirname(__file__))

SECRET_KEY = "k3v!q8)-%)(zt&2w-!p&mx9r4u6hbgoc1y7@e_&j)c@5fa^s"

DEBUG = True

ALLOWED_HOSTS: list[str] = []
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.path.join(BASE_DIR, "db.sqlite3")}}
LOGIN_URL = "/taskManager/login/"
