# Reproduces the shape of fportantier/vulpy bad/mod_user.py: form fields handed to the
# query functions of libuser.
import libuser
from flask import Blueprint, flash, redirect, render_template, request

mod_user = Blueprint("mod_user", __name__, template_folder="templates")


@mod_user.route("/login", methods=["GET", "POST"])
def do_login():
    if request.method == "POST":
        username = libuser.login(request.form.get("username"), request.form.get("password"))
        if not username:
            flash("Invalid user or password")
        return redirect("/")
    return render_template("user.login.html")
