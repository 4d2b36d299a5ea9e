"""An input error, in both languages: what evaluation reports instead of an amount."""

from __future__ import annotations

from .limits import shorten


class Problem(str):
    """An input error: the English sentence the JSON output carries, with its Chinese twin for reports."""

    zh: str

    def __new__(cls, en: str, zh: str) -> Problem:
        self = super().__new__(cls, en)
        self.zh = zh
        return self

    def __reduce__(self) -> tuple[type[Problem], tuple[str, str]]:  # so worker processes can send it back
        return Problem, (str(self), self.zh)

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else str(self)

    def at(self, path: str) -> Problem:
        return Problem(f"{path}: {self}", f"{path}:{self.zh}")

    def of(self, applicant: object, project: object = None) -> Problem:
        """The same problem naming whose it is, besides its JSON path: the applicant's id and the
        project's, when they have usable ones (``… negative money -5 (applicant E015, project P1)``)."""
        names = [(en, zh, shorten(value)) for en, zh, value in (("applicant", "申请人", applicant),
                                                                 ("project", "项目", project))
                 if isinstance(value, str) and value.strip()]
        if not names:
            return self
        return Problem(f"{self} ({', '.join(f'{en} {v}' for en, _, v in names)})",
                       f"{self.zh}({','.join(f'{zh} {v}' for _, zh, v in names)})")
