"""The User product type: one user, internal or external."""

from enum import StrEnum

from products.product_blocks.user import UserBlock
from workshop.orchestrator.domain import SubscriptionModel


class Affiliation(StrEnum):
    """The values the fixed input ``affiliation`` can take."""

    internal = "internal"
    external = "external"


class User(SubscriptionModel):
    """Made of one UserBlock. ``affiliation`` is a fixed input, not a block: each product of this
    type (``User internal``, ``User external``) fixes its value once, in ``fixed_inputs``.
    """

    affiliation: Affiliation
    user: UserBlock
