"""Product blocks: the building blocks that products are made of."""
