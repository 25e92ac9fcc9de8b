"""Shape of app.py in manuelz120/extremely-vulnerable-flask-app (self-written)."""

import uuid

from flask import Flask, redirect, render_template, render_template_string, request

from models import RegistrationCode, Session

app = Flask(__name__)
app.secret_key = "super secret key"

with Session() as session:
    # a table name from the model class, no request data: not injectable
    session.execute(f"DELETE FROM {RegistrationCode.__tablename__}")
    for _ in range(100):
        session.add(RegistrationCode(code=str(uuid.uuid4())))
    session.commit()


@app.route("/")
def index():
    return redirect("/home")


@app.errorhandler(404)
def page_not_found(error):
    detailed_message = render_template_string(f"{error}. Requested URL was {request.path}")
    return render_template("404.html", detailed_message=detailed_message)
