"""Shape of routes/account.py in manuelz120/extremely-vulnerable-flask-app (self-written)."""

from base64 import b64decode, b64encode
from pickle import dumps, loads

from flask import flash, g, make_response, redirect, request

from app import app
from forms.image_form import ImageForm
from models import Session
from utils.profile_image import get_base64_image_blob


@app.route("/account/image", methods=["POST"])
def add_image():
    form = ImageForm(request.form)
    if not form.validate():
        flash("invalid", "error")
    else:
        with Session() as session:
            session.merge_image(get_base64_image_blob(form.url.data).encode())
            session.commit()
    return redirect("/account")


@app.route("/darkmode", methods=["POST"])
def toggle_darkmode():
    response = make_response(redirect("/account"))
    g.preferences["mode"] = "light" if g.preferences["mode"] == "dark" else "dark"
    response.set_cookie("preferences", b64encode(dumps(g.preferences)))
    return response


@app.before_request
def before_request():
    preferences = request.cookies.get("preferences")
    if preferences is None:
        preferences = {"mode": "light"}
    else:
        preferences = loads(b64decode(preferences))
    g.preferences = preferences
