"""Save and load a fitted dataclass model as one joblib file of its fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Type, TypeVar

M = TypeVar("M", bound="SavedFields")


class SavedFields:
    """``save`` / ``load`` for a dataclass whose fields are its whole fitted state."""

    model_file: ClassVar[str]

    def save(self, directory: Path) -> None:
        """Write the fitted model into ``directory``."""
        import joblib

        joblib.dump(self.__dict__, directory / self.model_file)

    @classmethod
    def load(cls: Type[M], directory: Path) -> M:
        """Read a model written by :meth:`save`."""
        import joblib

        fields: Any = joblib.load(directory / cls.model_file)
        return cls(**fields)
