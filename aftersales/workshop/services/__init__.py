"""The workshop's use cases, by topic: setup (skills, shifts, bays, settings), calendar, clock, dispatch,
suggestions, delays and the board link."""
