"""The user block: a user, and the group it is in."""

from products.product_blocks.user_group import UserGroupBlock
from workshop.orchestrator.domain import ProductBlockModel


class UserBlock(ProductBlockModel, product_block_name="UserBlock"):
    """Resource types ``username``, ``age`` and ``user_id``; ``group`` is another block.

    Because ``group`` is a product block, it is not a resource type: it is a block relation,
    UserBlock (in use by) -> UserGroupBlock (depends on), in ``product_block_relations``.
    """

    username: str
    age: int | None = None
    user_id: int
    group: UserGroupBlock
