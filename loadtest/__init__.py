"""The Locust load test and its traffic profiles."""
