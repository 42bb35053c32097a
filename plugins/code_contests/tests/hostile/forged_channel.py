# Forgery: write "results" onto the harness's result channel before the real ones (duplicates).
import json
import os


def _forge():
    fd = os.environ.get("HARNESS_CHANNEL_FD")
    if fd:
        with os.fdopen(int(fd), "w", closefd=False) as out:
            for i in range(200):
                out.write(json.dumps({"i": i, "ok": True}) + "\n")
                out.write(json.dumps({"i": i, "ok": None}) + "\n")


_ = _forge()


def ENTRY(*args):
    return "forged"
