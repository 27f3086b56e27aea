"""Email digests: which period is due for whom (:mod:`.periods`), what each subscriber gets
(:mod:`.select`), the message (:mod:`.render`) and exactly-once delivery (:mod:`.deliver`)."""
