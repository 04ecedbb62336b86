"""Errors meant for the user: their message is the whole story (file, column, rule, example value)."""


class UserError(RuntimeError):
    """A problem the user can fix (bad input, bad argument); printed as one paragraph, no traceback."""


class ContractError(UserError):
    """A raw file breaks the contract as a whole (missing file or column, unreadable format)."""

    def __init__(self, file: str, column: str | None, rule: str, example: object = None):
        self.file, self.column, self.rule, self.example = file, column, rule, example
        where = f"{file}" + (f", column {column!r}" if column else "")
        ex = f" (example value: {example!r})" if example is not None else ""
        super().__init__(f"{where}: {rule}{ex}")


class QualityGateError(UserError):
    """A data-quality gate failed: the run is kept for inspection but not published."""
