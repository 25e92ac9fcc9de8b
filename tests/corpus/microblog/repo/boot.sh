#!/bin/sh
exec venv/bin/gunicorn -b :5000 microblog:app
