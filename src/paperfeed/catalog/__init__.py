"""What is listed when: listings, trending pages, submissions and curation, feeds' entries, the published JSON shapes."""
