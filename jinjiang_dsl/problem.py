"""An input error, in both languages: what evaluation reports instead of an amount."""

from __future__ import annotations


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
