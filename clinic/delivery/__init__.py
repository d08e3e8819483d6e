"""Delivery: the outbox, its notifier and the workers' heartbeats."""
