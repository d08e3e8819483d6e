"""Tests that start real servers (Rasa, actions, worker, console) or a browser."""
