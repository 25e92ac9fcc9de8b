# Reproduces the shape of we45/Vulnerable-Flask-App app/app.py: the 404 page formats
# the requested URL into a template (SSTI), tokens decoded without verification, and
# passwords hashed with one round of SHA-256.
import hashlib

import jwt
from flask import Flask, jsonify, render_template_string, request

app = Flask(__name__)


def insecure_verify(token):
    decoded = jwt.decode(token, verify=False)  # vuln: we45-jwt-no-verify
    return decoded


@app.errorhandler(404)
def pnf(e):
    template = """<html><body><h1>Oops that page doesn't exist!!</h1>
    <h3>%s</h3></body></html>""" % request.url
    return render_template_string(template, dir=dir, help=help, locals=locals), 404  # vuln: we45-ssti-404


@app.route("/register/user", methods=["POST"])
def reg_customer():
    content = request.json
    password = content["password"]
    hash_pass = hashlib.sha256(password.encode()).hexdigest()  # vuln: we45-weak-hash
    return jsonify({"Created": hash_pass}), 200


@app.route("/search", methods=["POST"])
def search_customer():
    term = request.json["search"]
    return jsonify({"Customer": term}), 200
