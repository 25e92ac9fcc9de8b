# Reproduces the shape of fportantier/vulpy bad/libuser.py: every query formats the
# user's input (reached from request.form in bad/mod_user.py).
import sqlite3


def login(username, password):
    conn = sqlite3.connect("users.sqlite")
    c = conn.cursor()
    user = c.execute("SELECT * FROM users WHERE username = '{}' and password = '{}'".format(username, password)).fetchone()  # vuln: vulpy-sqli-login
    return user["username"] if user else False


def create(username, password):
    conn = sqlite3.connect("users.sqlite")
    c = conn.cursor()
    c.execute("INSERT INTO users (username, password, failures) VALUES ('%s', '%s', '%d')" % (username, password, 0))  # vuln: vulpy-sqli-create
    conn.commit()


def userlist():
    conn = sqlite3.connect("users.sqlite")
    return [row[0] for row in conn.execute("SELECT username FROM users").fetchall()]


def password_change(username, password):
    conn = sqlite3.connect("users.sqlite")
    c = conn.cursor()
    c.execute("UPDATE users SET password = '{}' WHERE username = '{}'".format(password, username))  # vuln: vulpy-sqli-chpasswd
    conn.commit()
