"""Where papers come from. Parsers are pure functions over recorded data; fetching is separate."""
