"""dbt's `exceptions` for sqlfluff's jinja templater (library_path in .sqlfluff): a macro's guard
against a bad var must not stop the linter, which renders every var as a placeholder."""


def raise_compiler_error(message: str) -> str:
    return ""


def warn(message: str) -> str:
    return ""
