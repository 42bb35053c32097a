# Attack: look for a way back to root (uid, capabilities, no_new_privs, /etc/shadow, /root).
import os

status = dict(line.split(":\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\t" in line)
print("uid", os.getuid(), os.geteuid())
print("nnp", status.get("NoNewPrivs", "?").strip())
print("capeff", status.get("CapEff", "?").strip(), "capbnd", status.get("CapBnd", "?").strip())
for path in ("/etc/shadow", "/root/.bashrc"):
    try:
        print("read", path, len(open(path).read()))
    except OSError as exc:
        print("denied", path, exc.errno)
try:
    open("/root/pwned-by-sandbox", "w").write("x")
    print("wrote /root")
except OSError as exc:
    print("denied write", exc.errno)
