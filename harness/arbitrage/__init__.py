"""The arbitrageur: strategies, the replay of recorded banks, and the run loop."""
