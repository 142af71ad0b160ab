"""The workshop's products: product names mapped to their product types.

As in orchestrator-core, ``main.py`` imports this package, and ``main.py db
migrate-domain-models`` compares ``SUBSCRIPTION_MODEL_REGISTRY`` with the product tables. Two
products can share a product type: "User internal" and "User external" are both ``User`` and
differ in the value of their fixed input ``affiliation``.
"""

from products.product_types.user import User
from products.product_types.user_group import UserGroup

SUBSCRIPTION_MODEL_REGISTRY = {
    "User Group": UserGroup,
    "User internal": User,
    "User external": User,
}

__all__ = ["SUBSCRIPTION_MODEL_REGISTRY", "User", "UserGroup"]
