"""Shared primitives every source module stands on: configuration, HTTP, the raw zone, the raw contract,
month arithmetic, reference lists and the source declaration. They import nothing of the project above them."""
