"""``python -m console``: serve the review console."""

from console.app import main

main()
