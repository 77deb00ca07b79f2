"""The engine daemon: consume inputs -> interpreter -> one transaction (state + outbox) -> publish -> ack."""
