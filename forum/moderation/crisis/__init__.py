"""Crisis detection and escalation: the scanner, its text normalisation and lexicon, its
evaluation, and what happens to a post that signals risk."""
