"""boss engine: the process language, the pure interpreter, and (later) the store, transport and daemon."""
