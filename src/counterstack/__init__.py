"""counterstack: build, deploy and test the visitor-counter stack (AWS or an offline account)."""
