"""The workshop (车间): technicians' skills and shifts, bays, dispatch by skill and load, the clock, the board."""
