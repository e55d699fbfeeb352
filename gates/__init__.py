"""The device edge: taps and meter reports in, trip-end events onto the Redis stream."""
