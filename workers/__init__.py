"""Long-running consumers, thin: each wires the service to a queue.

`commentsvc serve` runs them inside the web process (see `background`);
`commentsvc worker ...` runs them on their own.
"""
