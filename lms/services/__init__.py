"""Business rules, callable without a request. Each use case commits once, or not at all."""
