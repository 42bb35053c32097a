# Attack: list every process and its command line (the harness's, its neighbours', API keys in them).
import os

seen = []
for name in os.listdir("/proc"):
    if name.isdigit():
        try:
            seen.append(open(f"/proc/{name}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            pass
print("\n".join(seen))
