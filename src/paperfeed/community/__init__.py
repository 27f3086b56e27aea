"""What members do together: votes, comments, collections, follows."""
