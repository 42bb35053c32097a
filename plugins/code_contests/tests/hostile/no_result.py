# Forgery: define nothing callable; exit cleanly.
import sys

_ = sys.exit(0)
