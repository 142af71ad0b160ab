"""Domain models in the style of orchestrator-core, on plain dataclasses.

In orchestrator-core a product is described twice: once as Python classes (the *domain models*,
which workflows use) and once as rows in the product tables (which the database and the API use).
``db migrate-domain-models`` writes the migration that brings the rows in line with the classes.
This module is the kit's small, dependency-free version of ``orchestrator.domain.base``:

* a **product block** is a subclass of :class:`ProductBlockModel`. Each scalar field is a
  *resource type* (``username: str``); a field whose type is another block is a *block relation*
  (``group: UserGroupBlock``: the block is in use by this one). The block's name in the database is
  the class name, or ``product_block_name=...`` in the class statement, as in orchestrator-core.
* a **product type** is a subclass of :class:`SubscriptionModel`. A field whose type is a block is
  one of the *product blocks* of the product; every other field is a *fixed input*, a constant that
  each product of this type sets once (``affiliation: Affiliation``).

Several products can share one product type: ``"User internal"`` and ``"User external"`` are both
``User`` and differ only in the value of the fixed input ``affiliation``. That mapping of product
names to product types is the ``SUBSCRIPTION_MODEL_REGISTRY`` in ``products/__init__.py``.

orchestrator-core builds on pydantic and has a class per lifecycle state (``UserBlockInactive``,
``UserBlockProvisioning``, ``UserBlock``). The kit keeps only the active one: what the generator
reads from the models is the same. Every subclass becomes a dataclass with keyword-only fields, so
fields with defaults (``age: int | None = None``) can come before ones without.

The functions at the end read a model the way the generator needs it: :func:`resource_types`,
:func:`block_relations`, :func:`product_blocks` and :func:`fixed_inputs`.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from typing import Any, ClassVar

from workshop.errors import WorkshopError


class ProductBlockModel:
    """Base class of product blocks: scalar fields are resource types, block fields are relations.

    ``class UserBlock(ProductBlockModel, product_block_name="UserBlock")`` names the block in the
    database; without it the class name is used.
    """

    product_block_name: ClassVar[str] = ""

    def __init_subclass__(cls, *, product_block_name: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.product_block_name = product_block_name or cls.__name__
        dataclasses.dataclass(kw_only=True)(cls)


class SubscriptionModel:
    """Base class of product types: block fields are product blocks, the rest are fixed inputs."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(kw_only=True)(cls)


Registry = Mapping[str, type[SubscriptionModel]]


# --- reading the models --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class BlockField:
    """A field whose type is a product block, with how many of it there may be.

    ``min``/``max`` go into ``product_block_relations``: ``X`` is exactly one (1, 1),
    ``X | None`` at most one (0, 1), ``list[X]`` any number (0, None).
    """

    field: str
    block: type[ProductBlockModel]
    min: int | None
    max: int | None

    @property
    def name(self) -> str:
        return self.block.product_block_name


@dataclasses.dataclass(frozen=True)
class FixedInputField:
    """A fixed input of a product type: its name and, for an Enum or Literal, the allowed values."""

    name: str
    annotation: Any
    choices: tuple[str, ...] | None

    def check(self, value: str) -> str | None:
        """Why ``value`` is not allowed, or None when it is."""
        if self.choices is not None and value not in self.choices:
            return f"must be one of: {', '.join(self.choices)}"
        if self.annotation is int:
            try:
                int(value)
            except ValueError:
                return "must be a whole number"
        return None


def _fields(model: type) -> list[tuple[str, Any]]:
    """(name, resolved type) of each dataclass field, in the order of the class statement."""
    if not dataclasses.is_dataclass(model):
        raise WorkshopError(
            f"{model!r} is not a domain model.",
            fix="Derive product types from SubscriptionModel and blocks from ProductBlockModel "
            "(from workshop.orchestrator.domain).",
        )
    try:
        hints = typing.get_type_hints(model)
    except Exception as error:  # noqa: BLE001 - a NameError in an annotation, say where it is
        raise WorkshopError(
            f"The annotations of {model.__module__}.{model.__qualname__} cannot be read: {error}.",
            fix="Import every class that a field's type names, in that module.",
        ) from error
    return [(field.name, hints[field.name]) for field in dataclasses.fields(model)]


def _unwrap(annotation: Any) -> tuple[Any, int | None, int | None]:
    """``X`` -> (X, 1, 1); ``X | None`` -> (X, 0, 1); ``list[X]`` -> (X, 0, None)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(members) == 1:
            inner, _, most = _unwrap(members[0])
            return inner, 0, most
        return annotation, 0 if len(members) < len(typing.get_args(annotation)) else 1, 1
    if origin in (list, tuple, set, frozenset):
        args = [arg for arg in typing.get_args(annotation) if arg is not Ellipsis]
        inner = args[0] if args else Any
        return _unwrap(inner)[0], 0, None
    return annotation, 1, 1


def _is_block(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, ProductBlockModel)


def _mentions_block(annotation: Any) -> bool:
    return _is_block(annotation) or any(_mentions_block(a) for a in typing.get_args(annotation))


def _block_field(model: type, name: str, annotation: Any) -> BlockField | None:
    inner, least, most = _unwrap(annotation)
    if _is_block(inner):
        return BlockField(name, inner, least, most)
    if _mentions_block(annotation):
        raise WorkshopError(
            f"{model.__qualname__}.{name}: {annotation} mixes product blocks with other types; "
            "the generator cannot tell which block it is.",
            fix="Give the field one block type: X, X | None or list[X].",
        )
    return None


def resource_types(block: type[ProductBlockModel]) -> list[str]:
    """The resource types of a block: its fields that are not blocks, in order."""
    return [name for name, hint in _fields(block) if _block_field(block, name, hint) is None]


def block_relations(block: type[ProductBlockModel]) -> list[BlockField]:
    """The blocks this block depends on (it is ``in_use_by`` them), in field order."""
    found = (_block_field(block, name, hint) for name, hint in _fields(block))
    return [field for field in found if field is not None]


def product_blocks(product_type: type[SubscriptionModel]) -> list[BlockField]:
    """The product blocks of a product type (its block fields), in field order."""
    found = (_block_field(product_type, name, hint) for name, hint in _fields(product_type))
    return [field for field in found if field is not None]


def _choices(annotation: Any) -> tuple[str, ...] | None:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return tuple(str(member.value) for member in annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return tuple(str(value) for value in typing.get_args(annotation))
    if annotation is bool:
        return ("true", "false")
    return None


def fixed_inputs(product_type: type[SubscriptionModel]) -> list[FixedInputField]:
    """The fixed inputs of a product type (its fields that are not blocks), in field order."""
    found = []
    for name, hint in _fields(product_type):
        if _block_field(product_type, name, hint) is None:
            inner = _unwrap(hint)[0]
            found.append(FixedInputField(name, inner, _choices(inner)))
    return found


def all_blocks(registry: Registry) -> list[type[ProductBlockModel]]:
    """Every block the registered products use, directly or through other blocks.

    In a stable order: products in registry order, each product's blocks in field order, and a
    block's own dependencies right after it. Two classes with the same block name must have the
    same fields (lifecycle variants may), else the database could hold only one of them.
    """
    seen: dict[str, type[ProductBlockModel]] = {}

    def visit(block: type[ProductBlockModel]) -> None:
        name = block.product_block_name
        if name in seen:
            other = seen[name]
            if other is not block and (
                resource_types(other) != resource_types(block)
                or [(f.name, f.min, f.max) for f in block_relations(other)]
                != [(f.name, f.min, f.max) for f in block_relations(block)]
            ):
                raise WorkshopError(
                    f"Two different classes are both product block {name!r}: "
                    f"{other.__module__}.{other.__qualname__} and "
                    f"{block.__module__}.{block.__qualname__}.",
                    fix="Give one of them another product_block_name, or the same fields.",
                )
            return
        seen[name] = block
        for relation in block_relations(block):
            visit(relation.block)

    for product_type in check_registry(registry).values():
        for field in product_blocks(product_type):
            visit(field.block)
    return list(seen.values())


def check_registry(registry: Registry) -> Registry:
    """The registry itself, once every entry is a product name and a product type."""
    if not isinstance(registry, Mapping):
        raise WorkshopError(
            "SUBSCRIPTION_MODEL_REGISTRY must be a dict of product names to product types.",
            fix='Write it as {"User Group": UserGroup, ...} in products/__init__.py.',
        )
    for name, model in registry.items():
        if not isinstance(name, str) or not name.strip():
            raise WorkshopError(
                f"SUBSCRIPTION_MODEL_REGISTRY has a key {name!r}: product names are strings.",
                fix='Use the product\'s name as the key, e.g. "User internal".',
            )
        if not (isinstance(model, type) and issubclass(model, SubscriptionModel)):
            raise WorkshopError(
                f"SUBSCRIPTION_MODEL_REGISTRY[{name!r}] is {model!r}, not a product type.",
                fix="Map each product name to a class derived from SubscriptionModel.",
            )
    return registry
