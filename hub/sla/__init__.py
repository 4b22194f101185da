"""Working-day service levels: holiday calendar, stage deadlines, overdue and escalation."""
