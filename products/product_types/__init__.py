"""Product types: what a product is made of (its blocks) and what it fixes (its fixed inputs)."""
