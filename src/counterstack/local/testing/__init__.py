"""Test facilities of the local account, which AWS does not have: fault injection."""
