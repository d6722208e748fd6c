"""The errors a user can cause. machinery.cli.run() turns each into one line and exit code 1."""


class UserError(Exception):
    """A problem with the user's input or environment: reported as a message, not a traceback."""


class DataError(UserError):
    """MNIST could not be found, downloaded or read."""


class Diverged(UserError):
    """The loss became NaN or infinite, or far worse than outputs that all stay at 0.5."""
