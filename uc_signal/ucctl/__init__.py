"""ucctl: the management shell over ucd's admin API (it never touches the store)."""
