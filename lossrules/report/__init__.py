"""Reports: they present runs and findings, they never decide anything."""
