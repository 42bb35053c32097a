# Attack: reach a host service through a UNIX socket (a path, and an abstract name).
import socket
import sys

for address in sys.argv[1:]:
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(1)
    try:
        s.connect(address.replace("@", "\0", 1) if address.startswith("@") else address)
        s.sendall(b"hello from the sandbox")
        print("connected", address)
    except OSError as exc:
        print("refused", address, exc.errno)
