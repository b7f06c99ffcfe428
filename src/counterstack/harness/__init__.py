"""Test harness library: plan, apply and inspect the project's Terraform roots from Python."""
