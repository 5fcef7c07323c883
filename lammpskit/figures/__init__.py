"""Files for people: CSV tables, PNG plots and OVITO pictures of analysis results."""
