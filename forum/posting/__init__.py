"""Posting: from draft to post, the draft page's view and the privacy check at preview."""
