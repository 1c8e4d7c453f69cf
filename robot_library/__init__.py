"""Robot Framework library `robot_library.DocRelay` (a later issue fills it in)."""
