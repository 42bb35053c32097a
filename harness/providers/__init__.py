"""Model providers: litellm for hosted APIs, the in-process local models, replay of recorded banks."""
