"""Benchmarks (not part of the test suite): quality, speed and scale, start-up, Slack throughput."""
