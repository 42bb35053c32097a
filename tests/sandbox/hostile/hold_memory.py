# Attack: hold 8 x 300 MiB in 8 processes, each under the per-process limit.
import os
import time

children = []
for _ in range(8):
    pid = os.fork()
    if pid == 0:
        block = bytearray(300 * 1024 * 1024)
        for i in range(0, len(block), 4096):
            block[i] = 1
        time.sleep(30)
        os._exit(0)
    children.append(pid)
time.sleep(2)
print("held")
