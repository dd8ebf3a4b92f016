"""Redis: the job queue (Streams), the embedded server, key names."""
