"""The UserGroup product type: one user group."""

from products.product_blocks.user_group import UserGroupBlock
from workshop.orchestrator.domain import SubscriptionModel


class UserGroup(SubscriptionModel):
    """A product of this type is made of one UserGroupBlock and has no fixed inputs."""

    user_group: UserGroupBlock
