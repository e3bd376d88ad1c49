"""The application: commands on stories, concurrency, and reading them back."""
