"""Visitor counter Lambda: `GET /visitors` atomically increments a DynamoDB counter."""
