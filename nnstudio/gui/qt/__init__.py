"""Qt plumbing shared by every room: worker threads and refresh scheduling."""
