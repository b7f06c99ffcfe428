"""Values of the seed's deployment that Python code and tests share (HCL keeps its own copies,
tied to these by tests/unit/test_single_sources.py)."""

# The website origins the counter's API allows (CORS), in the seed's order.
SEED_ORIGINS = ("https://selimcelem.com", "https://www.selimcelem.com")
