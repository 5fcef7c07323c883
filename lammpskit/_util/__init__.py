"""Private helpers: package data, input checks, atomic files, templates, external tools."""
