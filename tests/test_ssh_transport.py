"""The SSH transport against a real OpenSSH server: commands, uploads, forwards, keys from secrets."""

from __future__ import annotations

import contextlib
import http.client
import http.server
import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from shipline.deploy.hosts.ssh import Connection, Credentials, Endpoint, Keyring, SshError
from shipline.errors import InputError
from tests.ssh_support import fleet, wait_for


@pytest.fixture
def one_host(tmp_path):
    with fleet(tmp_path, count=1, with_haproxy=False) as f:
        yield f


@contextlib.contextmanager
def connected(f, trace: Path | None = None) -> Iterator[Connection]:
    """A connection to the fleet's one host, closed with its key after the block."""
    host = f.hosts[0]
    entry = host.manifest_entry()
    conn = Connection(Endpoint(entry["host"], entry["user"], entry["port"], host.name), Keyring(Credentials.from_env(f.env)), trace=trace)
    try:
        yield conn
    finally:
        conn.close()
        conn.keyring.close()


def test_runs_commands_and_uploads_a_release_once(one_host, tmp_path):
    with connected(one_host) as conn:
        done = conn.run("echo out; echo err >&2; exit 7")
        assert (done.returncode, done.stdout, done.stderr) == (7, b"out\n", b"err\n")
        release = tmp_path / "release"
        (release / "pkg").mkdir(parents=True)
        (release / "pkg" / "app.py").write_text("print('v1')\n")
        target = str(one_host.hosts[0].dir / "releases" / "v1")
        assert conn.upload(release, target) is True
        assert conn.check(f"cat {target}/pkg/app.py") == "print('v1')\n"
        (release / "pkg" / "app.py").write_text("changed\n")
        conn.trace = tmp_path / "trace.jsonl"
        assert conn.upload(release, target) is False  # a release is immutable: kept as first uploaded
        assert conn.check(f"cat {target}/pkg/app.py") == "print('v1')\n"
        # a kept release is found through the host's shell: no archive sent in a session of its own
        assert all(json.loads(line)["what"].startswith("shell: ") for line in conn.trace.read_text().splitlines())
        with pytest.raises(SshError, match="exited 3"):
            conn.check("exit 3")
    assert not conn.keyring.dir.exists()  # the key leaves the disk with the run


def test_forwards_a_port_of_the_host_to_the_runner(one_host):
    server = http.server.ThreadingHTTPServer(("127.0.0.4", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with connected(one_host) as conn:
            local = conn.forward_port("127.0.0.4", server.server_address[1])
            c = http.client.HTTPConnection("127.0.0.1", local, timeout=5)
            c.request("HEAD", "/")
            assert c.getresponse().status == 200
            c.close()
    finally:
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


def test_commands_share_one_shell_on_the_host_and_keep_their_own_output(one_host, tmp_path):
    trace = tmp_path / "trace.jsonl"
    with connected(one_host, trace=trace) as conn:
        first = conn.check("echo $PPID")
        assert conn.check("echo $PPID") == first  # the same shell ran both: no new session per command
        done = conn.run("printf 'out'; printf 'err' >&2; exit 7")  # `exit` ends the command, not the shell
        assert (done.returncode, done.stdout, done.stderr) == (7, b"out", b"err")
        state = '{"active": "blue", "quote": "it\'s $HOME `x`"}\n'.encode()
        assert conn.run("cat", input=state).stdout == state  # input travels inside the request, byte for byte
        assert conn.run("cat").stdout == b""  # and a command without input reads nothing of the next request
        binary = bytes(range(256)) * 4
        assert conn.run("cat", input=binary).stdout == binary  # binary input goes through a session of its own
        assert conn.check("echo $PPID") == first
        lines = [json.loads(line) for line in trace.read_text().splitlines()]
        assert {line["host"] for line in lines} == {"web1"} and all(line["seconds"] >= 0 for line in lines)
        assert sum(line["what"].startswith("shell: ") for line in lines) >= 6


def test_a_busy_shell_does_not_hold_up_another_command(one_host, tmp_path):
    flag = tmp_path / "flag"
    with connected(one_host) as conn:
        waiting: dict[str, object] = {}

        def wait_for_flag() -> None:
            try:
                waiting["done"] = conn.run(f"while [ ! -f {flag} ]; do sleep 0.05; done; echo $PPID", timeout=30)
            except SshError as err:
                waiting["done"] = err

        thread = threading.Thread(target=wait_for_flag)
        thread.start()
        wait_for(lambda: conn._shell is not None and conn._shell.lock.locked(), "the shell to be busy")
        conn.check(f"touch {flag}")  # ran beside the busy shell; waiting for it would never end
        thread.join(30)
        done = waiting["done"]
        assert isinstance(done, subprocess.CompletedProcess) and done.returncode == 0


def test_a_lost_or_stuck_shell_names_the_host_and_the_next_command_gets_a_new_one(one_host):
    with connected(one_host) as conn:
        shell = int(conn.check("echo $PPID"))
        with pytest.raises(SshError, match=r"^lost web1 \(.*@127\.0\.0\.1:\d+\): "):
            conn.run(f"kill -KILL {shell}")
        assert int(conn.check("echo $PPID")) != shell
        with pytest.raises(SshError, match=r"^web1 \(.*\): no answer within 0\.5s"):
            conn.run("sleep 5", timeout=0.5)
        assert conn.check("echo ok") == "ok\n"


def test_a_process_a_command_leaves_behind_does_not_write_into_the_next_answer(one_host):
    with connected(one_host) as conn:
        assert conn.check("(sleep 0.5; echo late; echo late >&2) & echo now") == "now\n"
        done = conn.run("sleep 1.5; printf x")  # the left-behind process writes while this one runs
        assert (done.stdout, done.stderr) == (b"x", b"")
