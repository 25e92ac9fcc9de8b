"""The SSH transport against a real OpenSSH server: commands, uploads, forwards, keys from secrets."""

from __future__ import annotations

import http.client
import http.server
import threading

import pytest

from shipline.deploy.hosts.ssh import Connection, Credentials, Endpoint, Keyring, SshError
from shipline.errors import InputError
from tests.ssh_support import fleet


@pytest.fixture
def one_host(tmp_path):
    with fleet(tmp_path, count=1, with_haproxy=False) as f:
        yield f


def _connection(f) -> Connection:
    host = f.hosts[0]
    entry = host.manifest_entry()
    return Connection(Endpoint(entry["host"], entry["user"], entry["port"], host.name), Keyring(Credentials.from_env(f.env)))


def test_runs_commands_and_uploads_a_release_once(one_host, tmp_path):
    conn = _connection(one_host)
    try:
        done = conn.run("echo out; echo err >&2; exit 7")
        assert (done.returncode, done.stdout, done.stderr) == (7, b"out\n", b"err\n")
        release = tmp_path / "release"
        (release / "pkg").mkdir(parents=True)
        (release / "pkg" / "app.py").write_text("print('v1')\n")
        target = str(one_host.hosts[0].dir / "releases" / "v1")
        assert conn.upload(release, target) is True
        assert conn.check(f"cat {target}/pkg/app.py") == "print('v1')\n"
        (release / "pkg" / "app.py").write_text("changed\n")
        assert conn.upload(release, target) is False  # a release is immutable: kept as first uploaded
        assert conn.check(f"cat {target}/pkg/app.py") == "print('v1')\n"
        with pytest.raises(SshError, match="exited 3"):
            conn.check("exit 3")
    finally:
        conn.close()
        conn.keyring.close()
    assert not conn.keyring.dir.exists()  # the key leaves the disk with the run


def test_forwards_a_port_of_the_host_to_the_runner(one_host):
    server = http.server.ThreadingHTTPServer(("127.0.0.4", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    conn = _connection(one_host)
    try:
        local = conn.forward_port("127.0.0.4", server.server_address[1])
        c = http.client.HTTPConnection("127.0.0.1", local, timeout=5)
        c.request("HEAD", "/")
        assert c.getresponse().status == 200
        c.close()
    finally:
        conn.close()
        conn.keyring.close()
        server.shutdown()


def test_an_unknown_host_key_is_refused_and_named(one_host):
    wrong = dict(one_host.env, SHIPLINE_SSH_KNOWN_HOSTS=one_host.hosts[0].known_hosts_line.replace("[127.0.0.1]", "[127.0.0.9]"))
    host = one_host.hosts[0]
    conn = Connection(Endpoint("127.0.0.1", "root", host.ssh_port, "web1"), Keyring(Credentials.from_env(wrong)))
    try:
        with pytest.raises(SshError, match=rf"cannot reach web1 \(root@127.0.0.1:{host.ssh_port}\): .*[Hh]ost key verification failed"):
            conn.connect()
    finally:
        conn.keyring.close()


def test_missing_secrets_are_bad_input_naming_them():
    with pytest.raises(InputError, match="SHIPLINE_SSH_KNOWN_HOSTS not set"):
        Credentials.from_env({"SHIPLINE_SSH_KEY": "k"})
