"""A command-router hook for tests: drives haproxy's admin socket from COLOR and WEIGHT.

    haproxy_hook.py SOCKET switch        all traffic to $COLOR
    haproxy_hook.py SOCKET weight        $WEIGHT to $COLOR
"""

import os
import socket
import sys


def send(path: str, command: str) -> None:
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(path)
        s.sendall(command.encode() + b"\n")
        answer = s.recv(4096).decode().strip()
    if answer:
        sys.exit(f"haproxy: {answer}")


def main() -> None:
    path, action = sys.argv[1], sys.argv[2]
    color = os.environ["COLOR"]
    other = "green" if color == "blue" else "blue"
    if action == "switch":
        send(path, f"set server app/{color} weight 100; set server app/{other} weight 0")
    else:
        send(path, f"set server app/{color} weight {os.environ['WEIGHT']}")


if __name__ == "__main__":
    main()
