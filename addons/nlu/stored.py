"""Base for the trainable graph components whose fitted model saves and loads itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Dict, Optional, Protocol, Type, TypeVar

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

C = TypeVar("C", bound="StoredModelComponent")


class SavedModel(Protocol):
    """What a model needs to be stored in a component's resource."""

    def save(self, directory: Path) -> None:
        """Write the fitted model into ``directory``."""


class StoredModelComponent(GraphComponent):
    """Keeps config, storage and the model; ``create``, ``load`` and ``persist`` for all.

    Subclasses set ``model_type`` (a class with ``load(directory)``) and fit the model in
    ``train``, then call :meth:`persist`.
    """

    model_type: ClassVar[Type[Any]]

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Optional[Any] = None,
    ) -> None:
        """Keep the config and, once trained or loaded, the model."""
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls: Type[C],
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> C:
        """An untrained component."""
        return cls(config, model_storage, resource)

    def persist(self, model: SavedModel) -> Resource:
        """Store the fitted model in this component's resource."""
        with self._model_storage.write_to(self._resource) as directory:
            model.save(directory)
        return self._resource

    @classmethod
    def load(
        cls: Type[C],
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> C:
        """The component with the model stored by :meth:`persist`."""
        with model_storage.read_from(resource) as directory:
            model = cls.model_type.load(directory)
        return cls(config, model_storage, resource, model)
