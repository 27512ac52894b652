"""Demo seeds for the district processes beside PB (issue 18): a hearing, a community plan, a council meeting."""
