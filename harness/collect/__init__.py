"""Collection: planning attempts, metering model calls, the attempt pipeline and the collector."""
