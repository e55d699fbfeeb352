"""The revisions, oldest first: `rNNNN_<slug>.py`, each naming the one before it."""
