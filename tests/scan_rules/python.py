# Cases for src/shipline/scan/rules/python.yml, checked with `semgrep --test`.
import hashlib
import os
import pickle
import ssl
import subprocess

import requests
import yaml


def shell(ref, path):
    # ruleid: shipline.python.shell-injection
    subprocess.run("git log " + ref, shell=True)
    # ruleid: shipline.python.shell-injection
    os.system(f"rm -rf {path}")
    # ok: shipline.python.shell-injection
    subprocess.run(["git", "log", ref])
    # ok: shipline.python.shell-injection
    subprocess.run("git status", shell=True)


def load(text, f):
    # ruleid: shipline.python.unsafe-yaml-load
    yaml.load(text, Loader=yaml.Loader)
    # ruleid: shipline.python.unsafe-yaml-load
    yaml.unsafe_load(f)
    # ok: shipline.python.unsafe-yaml-load
    yaml.safe_load(text)
    # ok: shipline.python.unsafe-yaml-load
    yaml.load(text, Loader=yaml.SafeLoader)
    # ok: shipline.python.unsafe-yaml-load
    yaml.load(text, yaml.SafeLoader)


def load_with_ruamel(text):
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    # ok: shipline.python.unsafe-yaml-load
    return yaml.load(text)


def unpickle(blob, f):
    # ruleid: shipline.python.pickle
    pickle.loads(blob)
    # ruleid: shipline.python.pickle
    pickle.load(f)
    # ok: shipline.python.pickle
    pickle.dumps(blob)


def evaluate(expr):
    # ruleid: shipline.python.eval-exec
    eval(expr)
    # ruleid: shipline.python.eval-exec
    exec(compile(expr, "<x>", "exec"))
    # ok: shipline.python.eval-exec
    eval("1 + 1")


def fetch(url, session):
    # ruleid: shipline.python.tls-verify-disabled
    requests.get(url, verify=False)
    # ruleid: shipline.python.tls-verify-disabled
    session.verify = False
    # ruleid: shipline.python.tls-verify-disabled
    ctx = ssl._create_unverified_context()
    # ok: shipline.python.tls-verify-disabled
    requests.get(url, verify="/etc/ssl/ca.pem")
    # ok: shipline.python.tls-verify-disabled
    requests.get(url, timeout=10)


def store(user, password, data):
    # ruleid: shipline.python.weak-password-hash
    digest = hashlib.md5(password.encode()).hexdigest()
    # ruleid: shipline.python.weak-password-hash
    hashlib.sha256(user.password).hexdigest()
    # ok: shipline.python.weak-password-hash
    hashlib.sha256(data).hexdigest()
    # ok: shipline.python.weak-password-hash
    hashlib.scrypt(password.encode(), salt=os.urandom(16), n=2**14, r=8, p=1)
    return digest


# ruleid: shipline.python.hard-coded-secret
API_KEY = "sk_live_4f9a8b7c6d5e"
# ruleid: shipline.python.hard-coded-secret
client = connect(host="db", password="hunter2hunter2")
# ok: shipline.python.hard-coded-secret
API_KEY_ENV = os.environ["API_KEY"]
# ok: shipline.python.hard-coded-secret
PASSWORD = ""
# ok: shipline.python.hard-coded-secret
token_name = "x"
# ruleid: shipline.python.hard-coded-secret
SECRET_KEY = "django-insecure-7x$k2!q9@zr#p1v&w8m"
SETTINGS = {
    "debug": False,
    # ruleid: shipline.python.hard-coded-secret
    "secret_key": "Zq7$kP2m!x9LwR4v",
}
# ok: shipline.python.hard-coded-secret
TOKEN_URL = "https://oauth2.example.com/token"
# ok: shipline.python.hard-coded-secret
API_KEY_ENV_VAR = "OPENAI_API_KEY"
# ok: shipline.python.hard-coded-secret
OPENAI_API_KEY = "OPENAI_API_KEY"
# ok: shipline.python.hard-coded-secret
SECRET_FILE = "/run/secrets/app-key"
# ok: shipline.python.hard-coded-secret
token_key = "access_token"
# ok: shipline.python.hard-coded-secret
PASSWORD_MASK = "********"
# ok: shipline.python.hard-coded-secret
api_key = "<your-api-key>"
# ok: shipline.python.hard-coded-secret
db_password = "${DB_PASSWORD}"
# ruleid: shipline.python.hard-coded-secret
app.config["SECRET_KEY"] = "aaaaaaa"


def report(db, user_id, table):
    # ruleid: shipline.python.formatted-sql
    db.execute("SELECT * FROM orders WHERE user_id = %s" % user_id)
    query = f"DELETE FROM sessions WHERE user = '{user_id}'"
    # ruleid: shipline.python.formatted-sql
    db.cursor().execute(query)
    # ruleid: shipline.python.formatted-sql
    db.execute("UPDATE users SET seen = 1 WHERE id = " + user_id + " AND active")
    # ok: shipline.python.formatted-sql
    db.execute("SELECT * FROM orders WHERE user_id = %s", (user_id,))
    # ok: shipline.python.formatted-sql
    db.execute("SELECT 1")
    # ok: shipline.python.formatted-sql
    log.info("SELECT took %s ms" % user_id)



def decode(token, key):
    # ruleid: shipline.python.jwt-signature-not-verified
    jwt.decode(token, verify=False)
    # ruleid: shipline.python.jwt-signature-not-verified
    jwt.decode(token, key, options={"verify_signature": False})
    # ok: shipline.python.jwt-signature-not-verified
    return jwt.decode(token, key, algorithms=["HS256"])


# ruleid: shipline.python.template-autoescape-off
HTML = jinja2.Environment(loader=loader, autoescape=False)
# ok: shipline.python.template-autoescape-off
SAFE_HTML = jinja2.Environment(loader=loader, autoescape=jinja2.select_autoescape())


# ruleid: shipline.python.hard-coded-signing-key
app.secret_key = "super secret key"
# ruleid: shipline.python.hard-coded-signing-key
app.config["SECRET_KEY"] = "dev"
# ok: shipline.python.hard-coded-signing-key
app.secret_key = os.environ["SECRET_KEY"]
# ok: shipline.python.hard-coded-signing-key
app.config["SECRET_KEY"] = "<change me>"
# ok: shipline.python.hard-coded-signing-key
SECRET_KEY = ""

# ruleid: shipline.python.django-debug-enabled
DEBUG = True
# ok: shipline.python.django-debug-enabled
DEBUG = os.environ.get("DEBUG") == "1"


def purge(session, model):
    # ok: shipline.python.formatted-sql
    session.execute(f"DELETE FROM {model.__tablename__}")
    # ruleid: shipline.python.formatted-sql
    session.execute(f"DELETE FROM {model.__tablename__} WHERE owner = '{session.user}'")


def configure():
    # ok: shipline.python.django-debug-enabled
    DEBUG = True
    return DEBUG
