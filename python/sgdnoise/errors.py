"""The exceptions of the sgdnoise module. The C++ core raises them by name."""


class InputError(ValueError):
    """Bad input: a scenario key, a value or an argument. `where` names the file (or the
    call), `key` the dotted key (may be empty) and `reason` what is wrong."""

    def __init__(self, message, where="", key="", reason=""):
        super().__init__(message)
        self.where, self.key, self.reason = where, key, reason


class OutputError(OSError):
    """An output or a checkpoint that could not be written or read: `path` and `reason`."""

    def __init__(self, message, path="", reason=""):
        super().__init__(message)
        self.path, self.reason = path, reason


class LossError(ValueError):
    """A Python loss's callable returned something unusable: a wrong shape or type, or a
    non-finite number at a finite point."""
