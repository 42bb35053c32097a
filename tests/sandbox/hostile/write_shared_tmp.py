# Attack: leave files in the shared temporary directories, and move its own run directory away.
import os
import sys

marker = sys.argv[1]
left = []
for d in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
    try:
        with open(os.path.join(d, marker), "w") as f:
            f.write("left behind")
        os.makedirs(os.path.join(d, marker + ".d", "deep"), exist_ok=True)
        left.append(d)
    except OSError:
        pass
here = os.getcwd()
try:
    os.rename(here, os.path.join(os.path.dirname(here), marker + ".moved"))
    left.append("moved")
except OSError:
    pass
print("left", left)
