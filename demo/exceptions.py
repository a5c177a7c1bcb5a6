"""What the demo's services raise."""


class DemoSeedError(Exception):
    """The demo data cannot be written as asked; the message says why, in one line."""
