"""What the tests share: mock Discord servers, signed requests, HTTP and process helpers.

The mock Slack Web API and Slack request signing live in bench/ (bench/mock_slack.py,
bench/slack_signing.py) because the load benchmark drives them too, and bench/ never
imports tests/; the tests import them from there.
"""
