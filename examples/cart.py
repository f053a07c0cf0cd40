"""A shopping cart: a sample file for `switchboard complete examples/cart.py:19:9`."""

from dataclasses import dataclass, field


@dataclass
class Item:
    name: str
    price_cents: int
    quantity: int = 1


@dataclass
class Cart:
    items: list[Item] = field(default_factory=list)

    def total_cents(self) -> int:
        """The price of everything in the cart, in cents."""
        
