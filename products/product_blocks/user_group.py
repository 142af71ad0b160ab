"""The user group block: a group that users belong to."""

from workshop.orchestrator.domain import ProductBlockModel


class UserGroupBlock(ProductBlockModel, product_block_name="UserGroupBlock"):
    """Each field is a resource type: ``group_name`` and ``group_id``."""

    group_name: str
    group_id: int
