"""Public oversight: what every citizen may see of reports and of each OPD's performance."""
