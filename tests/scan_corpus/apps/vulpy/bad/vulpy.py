# Reproduces the shape of fportantier/vulpy bad/vulpy.py: a committed session key and
# the debugger on.
from flask import Flask, redirect

app = Flask("vulpy")
app.config["SECRET_KEY"] = "aaaaaaa"  # vuln: vulpy-secret-key


@app.route("/")
def do_home():
    return redirect("/posts")


app.run(debug=True, host="127.0.1.1", port=4999)  # vuln: vulpy-debug
