# Cases for python-web.yml: request data (Flask, Django, FastAPI, aiohttp) reaching a
# dangerous call is flagged; constants, parameters and sanitized values are not.
import http.server
import os
import pickle
import sqlite3
import subprocess

import flask
import lxml.etree
import requests
import yaml
from django.http import HttpResponse, HttpResponseRedirect
from fastapi import FastAPI
from flask import Flask, Markup, redirect, render_template_string, request, send_file, url_for
from werkzeug.utils import secure_filename

app = Flask(__name__)
api = FastAPI()
db = sqlite3.connect("app.db")


@app.route("/user")
def user():
    name = request.args.get("name")
    cur = db.cursor()
    # ruleid: shipline.python.web.sql-injection
    cur.execute("SELECT * FROM users WHERE name = '%s'" % name)
    # ok: shipline.python.web.sql-injection
    cur.execute("SELECT * FROM users WHERE name = ?", (name,))
    return "ok"


@app.route("/item/<item_id>")
def item(item_id):
    # ruleid: shipline.python.web.sql-injection
    db.execute(f"SELECT * FROM items WHERE id = {item_id}")
    # ok: shipline.python.web.sql-injection
    db.execute(f"SELECT * FROM items WHERE id = {int(item_id)}")
    return "ok"


@app.route("/ping", methods=["POST"])
def ping():
    host = request.form["host"]
    # ruleid: shipline.python.web.command-injection
    os.system("ping -c 1 " + host)
    # ok: shipline.python.web.command-injection
    subprocess.run(["ping", "-c", "1", host])
    return "ok"


@app.route("/hello")
def hello():
    name = request.args.get("name", "")
    # ruleid: shipline.python.web.template-injection
    render_template_string("<h1>Hello " + name + "</h1>")
    # ok: shipline.python.web.template-injection
    render_template_string("<h1>Hello {{ name }}</h1>", name=name)
    # ruleid: shipline.python.web.xss
    Markup("<b>%s</b>" % name)
    # ok: shipline.python.web.xss
    Markup("<b>%s</b>") % name
    # ruleid: shipline.python.web.xss
    return "<p>Hello " + name + "</p>"


@app.route("/fetch")
def fetch():
    url = request.args["url"]
    # ruleid: shipline.python.web.ssrf
    requests.get(url, timeout=5)
    # ok: shipline.python.web.ssrf
    requests.get("https://api.example.com/status", params={"q": url}, timeout=5)
    return "ok"


@app.route("/download")
def download():
    name = request.args["file"]
    # ruleid: shipline.python.web.path-traversal
    send_file(os.path.join("uploads", name))
    # ok: shipline.python.web.path-traversal
    return send_file(os.path.join("uploads", secure_filename(name)))


@app.route("/login")
def login():
    target = request.args.get("next")
    if target is None:
        # ok: shipline.python.web.open-redirect
        return redirect(url_for("home"))
    # ruleid: shipline.python.web.open-redirect
    return redirect(target)


@app.route("/import", methods=["POST"])
def import_data():
    # ruleid: shipline.python.web.unsafe-deserialization
    pickle.loads(request.data)
    # ok: shipline.python.web.unsafe-deserialization
    yaml.load(request.data, Loader=yaml.SafeLoader)
    return "ok"


def django_view(request):
    query = request.GET.get("q", "")
    # ruleid: shipline.python.web.xss
    HttpResponse("<p>Results for " + query + "</p>")
    # ok: shipline.python.web.xss
    HttpResponse("Results for " + query, content_type="text/plain")
    # ok: shipline.python.web.open-redirect
    HttpResponseRedirect("/search")
    # ok: shipline.python.web.open-redirect
    HttpResponseRedirect("/projects/" + request.GET["id"] + "/")
    # ruleid: shipline.python.web.open-redirect
    HttpResponseRedirect("/" + request.GET["next"])
    # ruleid: shipline.python.web.open-redirect
    return HttpResponseRedirect(request.POST["next"])


@api.get("/search")
async def search(term: str):
    # ruleid: shipline.python.web.sql-injection
    db.execute("SELECT * FROM docs WHERE body LIKE '%" + term + "%'")
    return {"term": term}


async def aiohttp_handler(request):
    data = await request.post()
    # ruleid: shipline.python.web.command-injection
    subprocess.run("convert " + data["file"], shell=True)
    # ok: shipline.python.web.command-injection
    subprocess.run("convert input.png", shell=True)


def job(name):
    # ok: shipline.python.web.sql-injection
    db.execute("SELECT * FROM jobs WHERE name = '%s'" % name)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        # ruleid: shipline.python.web.path-traversal
        body = open(self.path.lstrip("/"), "rb").read()
        # ok: shipline.python.web.path-traversal
        body += open("index.html", "rb").read()
        tree = lxml.etree.parse("users.xml")
        # ruleid: shipline.python.web.xpath-injection
        body += str(tree.xpath("//user[name/text()='%s']" % self.headers["X-User"])).encode()
        # ok: shipline.python.web.xpath-injection
        body += str(tree.xpath("//user[name/text()=$name]", name=self.headers["X-User"])).encode()
        self.wfile.write(body)


@app.errorhandler(404)
def not_found(error):
    # ruleid: shipline.python.web.template-injection
    return render_template_string(f"{error}: {request.path} was not found")

