"""Slack front end: the Bolt app factory, listeners (one module per kind), Block Kit, Socket Mode."""
