"""Members: accounts, identities (OIDC links), API tokens, export and import of a member's data."""
