"""boss skynet package."""
