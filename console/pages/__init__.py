"""The console's pages, one module a page group; each has ``routes`` and may have ``setup``."""
