"""Pages of the subscriptions app (operator desk), one module per subject."""
