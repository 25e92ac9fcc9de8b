"""Shape of the request handler in stamparm/DSVW (dsvw.py, public domain): every
query parameter goes straight into a dangerous call. Self-written, Python 3."""

import http.server
import pickle
import sqlite3
import subprocess
import urllib.parse
import urllib.request

import lxml.etree

CONNECTION = sqlite3.connect(":memory:", check_same_thread=False)
USERS_XML = "<users><user><name>admin</name><surname>admin</surname></user></users>"
HTML_POSTFIX = "<div>Powered by DSVW (v<b>0.1</b>)</div></body></html>"


class ReqHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        params = dict(urllib.parse.parse_qsl(query))
        cursor = CONNECTION.cursor()
        content = b""
        if "id" in params:
            cursor.execute("SELECT id, username, name, surname FROM users WHERE id=" + params["id"])
            content = str(cursor.fetchall()).encode()
        elif "v" in params:
            content = HTML_POSTFIX.replace("v<b>0.1</b>", "v<b>%s</b>" % params["v"]).encode()
        elif "object" in params:
            content = str(pickle.loads(params["object"].encode("latin-1"))).encode()
        elif "path" in params:
            if "://" in params["path"]:
                content = urllib.request.urlopen(params["path"]).read()
            else:
                content = open(params["path"], "rb").read()
        elif "domain" in params:
            content = subprocess.check_output("nslookup " + params["domain"], shell=True, stderr=subprocess.STDOUT)
        elif "xml" in params:
            content = lxml.etree.tostring(lxml.etree.fromstring(params["xml"].encode()))
        elif "name" in params:
            found = lxml.etree.fromstring(USERS_XML.encode()).xpath(".//user[name/text()='%s']" % params["name"])
            content = str(len(found)).encode()
        elif "comment" in params:
            cursor.execute("INSERT INTO comments VALUES(NULL, '%s', '%s')" % (params["comment"], path))
        elif "include" in params:
            program = urllib.request.urlopen(params["include"]).read()
            exec(program)
        elif "redir" in params:
            content = ('<head><meta http-equiv="refresh" content="0; url=%s"/></head>' % params["redir"]).encode()
        self.send_response(200)
        self.end_headers()
        self.wfile.write(content)


if __name__ == "__main__":
    http.server.HTTPServer(("127.0.0.1", 65412), ReqHandler).serve_forever()
