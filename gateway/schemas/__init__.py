"""What the gateway validates that is HTTP-only (``local.py``: its own routes, a token in the query string);
every services schemas are in its contracts.py. responses_examples.py: the answers examples."""
