from flask import Flask

app = Flask(__name__)


@app.route("/")
def vote():
    return "cats or dogs"
