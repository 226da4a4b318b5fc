"""The validity audit every run makes: coherence of the deciding axes before typing, then the
types against size, context and outside criteria, and leave-one-out (``validity``)."""
