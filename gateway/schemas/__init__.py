"""The HTTP contract, one module per area of the route table."""
