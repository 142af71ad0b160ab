"""Inside ``unshare -n``: bring the loopback up, show that there is no network, then run a command.

    unshare -n python3 tests/netns_exec.py COMMAND [ARG...]

A new network namespace has only a loopback interface, and it is down: JupyterLab's kernels talk
to it over 127.0.0.1, so it is brought up here (an ioctl, so that no ``ip`` tool is needed).
Then one connection to the package index is tried and its failure printed (``no network: ...``),
so that a test can show that the install it runs had no network at all. Standard library only:
this runs before any virtual environment exists.
"""

from __future__ import annotations

import fcntl
import os
import socket
import struct
import sys

SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
PROBE = ("pypi.org", 443)


def loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sh", b"lo", flags | IFF_UP))


def say_there_is_no_network() -> None:
    try:
        socket.create_connection(PROBE, timeout=5).close()
    except OSError as error:
        print(f"no network: {PROBE[0]}:{PROBE[1]} unreachable ({error})", flush=True)
        return
    print(f"NETWORK: {PROBE[0]}:{PROBE[1]} answered", flush=True)


if __name__ == "__main__":
    loopback_up()
    say_there_is_no_network()
    os.execvp(sys.argv[1], sys.argv[1:])
