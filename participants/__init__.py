"""boss participants package."""
