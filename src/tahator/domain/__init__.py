"""Pure rules and algorithms of the clearing house: no I/O, no database, no HTTP."""
