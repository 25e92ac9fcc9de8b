# Reproduces the shape of fportantier/vulpy bad/libposts.py: one parameterized query,
# one f-string query.
import sqlite3


def get_posts(username):
    c = sqlite3.connect("posts.sqlite").cursor()
    return c.execute("SELECT * FROM posts WHERE username = ? ORDER BY date DESC", (username,)).fetchall()


def post(username, text):
    c = sqlite3.connect("posts.sqlite").cursor()
    c.execute(f"SELECT * FROM posts WHERE username = {username}").fetchall()  # vuln: vulpy-sqli-posts
    c.execute("INSERT INTO posts (username, text, date) VALUES (?, ?, DateTime('now'))", (username, text))
