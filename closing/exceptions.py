"""What the close's steps raise: a close or reopen refused by the rules, and an attempt taken over."""


class CloseRefused(Exception):
    """A close or reopen that must not happen; the message says why in one line."""


class CloseSuperseded(Exception):
    """This attempt of a close was taken over by a newer one; its worker must stop without writing."""
