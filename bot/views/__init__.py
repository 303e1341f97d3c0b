"""Views: pure functions that turn domain objects into messages in one person's language."""
